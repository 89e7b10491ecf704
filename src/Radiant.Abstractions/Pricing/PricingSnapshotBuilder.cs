namespace Radiant.Pricing;

/// <summary>
/// Collects models, tenants, overrides and tenant base prices, then builds an immutable <see cref="PricingSnapshot"/>.
/// Usable without a database or DI: another product fills it from its own data and quotes against the result.
/// </summary>
public sealed class PricingSnapshotBuilder
{
    private readonly Dictionary<string, ModelPrice> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, TenantPricingConfig> _tenants = [];
    private readonly List<(Guid Tenant, ModelPriceOverride Override)> _overrides = [];
    private readonly List<(Guid Tenant, TenantBasePrice Price)> _basePrices = [];

    /// <summary>Adds (or replaces) a model with its catalogue base prices per 1M tokens.</summary>
    public PricingSnapshotBuilder AddModel(string modelId, decimal inputPricePer1M, decimal outputPricePer1M, bool selfHosted = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        CheckPrice(inputPricePer1M, nameof(inputPricePer1M));
        CheckPrice(outputPricePer1M, nameof(outputPricePer1M));
        _models[modelId] = new ModelPrice(inputPricePer1M, outputPricePer1M, selfHosted);
        return this;
    }

    /// <summary>Adds (or replaces) a tenant with its configuration (the defaults when null).</summary>
    public PricingSnapshotBuilder AddTenant(Guid tenantId, TenantPricingConfig? config = null)
    {
        _tenants[tenantId] = CheckTenant(config);
        return this;
    }

    /// <summary>Adds an override of a tenant's price for one model.</summary>
    public PricingSnapshotBuilder AddOverride(Guid tenantId, ModelPriceOverride priceOverride)
    {
        _overrides.Add((tenantId, CheckOverride(priceOverride)));
        return this;
    }

    /// <summary>Adds a tenant-specific base price of a model, effective from a given instant.</summary>
    public PricingSnapshotBuilder AddBasePrice(Guid tenantId, TenantBasePrice basePrice)
    {
        _basePrices.Add((tenantId, CheckBasePrice(basePrice)));
        return this;
    }

    /// <summary>The configuration a tenant is priced with (the defaults when null), validated.</summary>
    internal static TenantPricingConfig CheckTenant(TenantPricingConfig? config)
    {
        config ??= TenantPricingConfig.Default;
        config.Validate();
        return config;
    }

    internal static ModelPriceOverride CheckOverride(ModelPriceOverride priceOverride)
    {
        ArgumentNullException.ThrowIfNull(priceOverride);
        if (priceOverride.Markup is { } markup && !PricingRules.IsMarkup(markup))
        {
            throw new ArgumentOutOfRangeException(nameof(priceOverride), $"Markup {markup} is outside 0..{PricingRules.MaxMarkup} or has more than 4 decimals.");
        }

        if (priceOverride.InputPricePer1M is { } input)
        {
            CheckPrice(input, nameof(priceOverride));
        }

        if (priceOverride.OutputPricePer1M is { } output)
        {
            CheckPrice(output, nameof(priceOverride));
        }

        return priceOverride;
    }

    internal static TenantBasePrice CheckBasePrice(TenantBasePrice basePrice)
    {
        ArgumentNullException.ThrowIfNull(basePrice);
        CheckPrice(basePrice.InputPricePer1M, nameof(basePrice));
        CheckPrice(basePrice.OutputPricePer1M, nameof(basePrice));
        return basePrice;
    }

    /// <summary>Builds the immutable snapshot. Throws when an override or base price names an unknown tenant or model.</summary>
    public PricingSnapshot Build(long version = 0)
    {
        foreach (var (tenant, o) in _overrides)
        {
            Require(tenant, o.ModelId);
        }

        foreach (var (tenant, p) in _basePrices)
        {
            Require(tenant, p.ModelId);
        }

        return new PricingSnapshot(_models, _tenants, _overrides, _basePrices, version);
    }

    private void Require(Guid tenant, string modelId)
    {
        if (!_tenants.ContainsKey(tenant))
        {
            throw new InvalidOperationException($"Tenant {tenant} has pricing rows but was not added with AddTenant.");
        }

        if (!_models.ContainsKey(modelId))
        {
            throw new InvalidOperationException($"Model '{modelId}' has pricing rows but was not added with AddModel.");
        }
    }

    private static void CheckPrice(decimal price, string name)
    {
        if (price < 0 || price > PricingRules.MaxPricePer1M || price.Scale > 6)
        {
            throw new ArgumentOutOfRangeException(name, $"Price {price} must be 0..{PricingRules.MaxPricePer1M} dollars per 1M tokens with at most 6 decimals.");
        }
    }

    internal readonly record struct ModelPrice(decimal Input, decimal Output, bool SelfHosted);
}
