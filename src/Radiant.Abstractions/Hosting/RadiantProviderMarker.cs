namespace Radiant.Hosting;

/// <summary>
/// Registered by a storage provider (for example <c>UsePostgres</c>) so that the rest of Radiant can fail fast,
/// with a message that says what to call, when a host forgot to configure one.
/// </summary>
/// <param name="Name">The provider's name, shown in diagnostics.</param>
public sealed record RadiantProviderMarker(string Name);
