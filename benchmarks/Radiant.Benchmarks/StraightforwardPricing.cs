using Radiant.Pricing;

namespace Radiant.Benchmarks;

/// <summary>
/// Baseline (a): what a team would write first. Dictionary lookups of the model, the tenant's configuration, its
/// overrides and base prices for the model, then plain <see cref="decimal"/> arithmetic per call, exactly
/// <see cref="PricingRules.Reference"/>.
/// </summary>
public sealed class StraightforwardPricing
{
    private readonly Dictionary<string, BenchModel> _models;
    private readonly Dictionary<Guid, TenantPricingConfig> _configs;
    private readonly Dictionary<(Guid Tenant, string Model), List<ModelPriceOverride>> _overrides;
    private readonly Dictionary<(Guid Tenant, string Model), List<TenantBasePrice>> _basePrices;

    /// <summary>Indexes the rows.</summary>
    public StraightforwardPricing(
        IEnumerable<BenchModel> models,
        IEnumerable<BenchTenant> tenants,
        IEnumerable<(Guid Tenant, ModelPriceOverride Override)> overrides,
        IEnumerable<(Guid Tenant, TenantBasePrice Price)> basePrices)
    {
        _models = models.ToDictionary(m => m.Id, StringComparer.Ordinal);
        _configs = tenants.ToDictionary(t => t.Id, t => t.Config);
        _overrides = [];
        foreach (var (tenant, o) in overrides)
        {
            if (!_overrides.TryGetValue((tenant, o.ModelId), out var list))
            {
                _overrides[(tenant, o.ModelId)] = list = [];
            }

            list.Add(o);
        }

        _basePrices = [];
        foreach (var (tenant, b) in basePrices)
        {
            if (!_basePrices.TryGetValue((tenant, b.ModelId), out var list))
            {
                _basePrices[(tenant, b.ModelId)] = list = [];
            }

            list.Add(b);
        }
    }

    /// <summary>The model row, for callers that resolve once.</summary>
    public BenchModel Model(string modelId) => _models[modelId];

    /// <summary>The tenant's configuration, for callers that resolve once.</summary>
    public TenantPricingConfig Config(Guid tenantId) => _configs[tenantId];

    /// <summary>Quotes one request.</summary>
    public PriceQuote Quote(Guid tenantId, string modelId, int inputTokens, int outputTokens, DateTimeOffset at)
    {
        if (inputTokens < 0 || outputTokens < 0)
        {
            throw new PricingException("Token counts must be 0 or more.");
        }

        if (!_configs.TryGetValue(tenantId, out var config))
        {
            throw new PricingException($"Tenant {tenantId} has no pricing.");
        }

        if (!_models.TryGetValue(modelId, out var model))
        {
            throw new PricingException($"Model '{modelId}' is not priced.");
        }

        var baseInput = model.InputPricePer1M;
        var baseOutput = model.OutputPricePer1M;
        if (_basePrices.TryGetValue((tenantId, modelId), out var bases))
        {
            TenantBasePrice? latest = null;
            foreach (var b in bases)
            {
                if (b.EffectiveFrom <= at && (latest is null || b.EffectiveFrom > latest.EffectiveFrom))
                {
                    latest = b;
                }
            }

            if (latest is not null)
            {
                baseInput = latest.InputPricePer1M;
                baseOutput = latest.OutputPricePer1M;
            }
        }

        ModelPriceOverride? active = null;
        if (_overrides.TryGetValue((tenantId, modelId), out var overrides))
        {
            foreach (var o in overrides)
            {
                if (o.EffectiveFrom <= at && (o.EffectiveTo is null || o.EffectiveTo > at) && (active is null || o.EffectiveFrom > active.EffectiveFrom))
                {
                    active = o;
                }
            }
        }

        return PricingRules.Reference(
            active?.InputPricePer1M ?? baseInput,
            active?.OutputPricePer1M ?? baseOutput,
            active?.Markup ?? config.DefaultMarkupFor(model.SelfHosted),
            config.MinimumChargePerRequest,
            inputTokens,
            outputTokens,
            active is not null);
    }
}
