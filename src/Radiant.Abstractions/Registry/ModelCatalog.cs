namespace Radiant.Registry;

/// <summary>A set of providers and models that can be synced into a registry.</summary>
/// <param name="Providers">The providers.</param>
/// <param name="Models">The models; each references a provider of <paramref name="Providers"/>.</param>
public sealed record ModelCatalog(IReadOnlyList<ProviderDefinition> Providers, IReadOnlyList<ModelDefinition> Models);
