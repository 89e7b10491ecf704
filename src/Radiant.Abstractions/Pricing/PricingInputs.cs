namespace Radiant.Pricing;

/// <summary>
/// A tenant's override of one model's price. Each part is optional: a null leaves the default in place. The
/// override applies from <see cref="EffectiveFrom"/> (inclusive) to <see cref="EffectiveTo"/> (exclusive, null = open).
/// </summary>
/// <param name="ModelId">The model.</param>
/// <param name="Markup">Markup fraction replacing the tenant's default, or null.</param>
/// <param name="InputPricePer1M">Base input price replacing the provider's, or null.</param>
/// <param name="OutputPricePer1M">Base output price replacing the provider's, or null.</param>
/// <param name="EffectiveFrom">Start of the window.</param>
/// <param name="EffectiveTo">End of the window, or null.</param>
public sealed record ModelPriceOverride(
    string ModelId,
    decimal? Markup,
    decimal? InputPricePer1M,
    decimal? OutputPricePer1M,
    DateTimeOffset EffectiveFrom,
    DateTimeOffset? EffectiveTo = null);

/// <summary>
/// A tenant-specific base price of a model from <see cref="EffectiveFrom"/> on, replacing the catalogue price (used when
/// a synced provider price change reaches a tenant later, or never, than the catalogue).
/// </summary>
/// <param name="ModelId">The model.</param>
/// <param name="InputPricePer1M">Base input price per 1M tokens.</param>
/// <param name="OutputPricePer1M">Base output price per 1M tokens.</param>
/// <param name="EffectiveFrom">From when it applies (inclusive); the latest row not in the future wins.</param>
public sealed record TenantBasePrice(string ModelId, decimal InputPricePer1M, decimal OutputPricePer1M, DateTimeOffset EffectiveFrom);

/// <summary>Something that cannot be priced: an unknown tenant or model, or a bad token count.</summary>
public sealed class PricingException(string message) : Errors.RadiantException(message);
