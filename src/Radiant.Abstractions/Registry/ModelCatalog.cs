using Radiant.Errors;
using Radiant.Pricing;

namespace Radiant.Registry;

/// <summary>A set of providers and models that can be synced into a registry.</summary>
/// <param name="Providers">The providers.</param>
/// <param name="Models">The models; each references a provider of <paramref name="Providers"/>.</param>
public sealed record ModelCatalog(IReadOnlyList<ProviderDefinition> Providers, IReadOnlyList<ModelDefinition> Models)
{
    /// <summary>
    /// Throws <see cref="RadiantValidationException"/> when a model names an unknown provider, has a price outside
    /// the registry's range, or appears twice.
    /// </summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        var providers = Providers.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var model in Models)
        {
            if (!providers.Contains(model.ProviderId))
            {
                errors.Add("models", $"Model '{model.Id}' names unknown provider '{model.ProviderId}'.");
            }

            PricingRules.ValidatePrice(errors, $"models[{model.Id}].inputPricePer1M", model.InputPricePer1M);
            PricingRules.ValidatePrice(errors, $"models[{model.Id}].outputPricePer1M", model.OutputPricePer1M);
        }

        foreach (var duplicate in Models.GroupBy(m => m.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add("models", $"Model '{duplicate.Key}' appears more than once.");
        }

        errors.ThrowIfAny();
    }
}
