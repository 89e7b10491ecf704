using Microsoft.Extensions.Time.Testing;
using Radiant.Pricing;
using Radiant.Routing;

namespace Radiant.Tests.Routing;

/// <summary>
/// A small catalogue and its pricing, built in memory (the router's inputs are snapshots), with a fake clock for health.
/// Ranked best first: flagship (vision, code), balanced (code), economy (text only, small window), novel (code, cheapest).
/// </summary>
public sealed class RoutingWorld
{
    public const string Flagship = "flagship-vision";
    public const string Balanced = "balanced-code";
    public const string Economy = "economy-text";
    public const string Novel = "novel-coder";
    public const string Embedder = "embedder";

    public static readonly Guid Tenant = new("7e000000-0000-4000-8000-000000000001");
    public static readonly Guid OtherTenant = new("7e000000-0000-4000-8000-000000000002");

    public RoutingWorld(Action<RoutingCatalogBuilder>? catalog = null, ModelHealthOptions? health = null)
    {
        var builder = new RoutingCatalogBuilder()
            .AddModel(new RoutingModel(Flagship, "provider-a", 200_000, 8_192, RoutingCapabilities.Vision | RoutingCapabilities.Code) { Category = "flagship", DisplayOrder = 10 })
            .AddModel(new RoutingModel(Balanced, "provider-b", 128_000, 8_192, RoutingCapabilities.Code) { Category = "balanced", DisplayOrder = 20 })
            .AddModel(new RoutingModel(Economy, "provider-b", 16_000, 4_096, RoutingCapabilities.None) { Category = "economy", DisplayOrder = 30 })
            .AddModel(new RoutingModel(Novel, "provider-c", 128_000, 8_192, RoutingCapabilities.Code) { Category = "novel", IsNovel = true, DisplayOrder = 40 })
            .AddModel(new RoutingModel(Embedder, "provider-c", 8_192, 0, RoutingCapabilities.None) { Category = "novel", IsNovel = true, DisplayOrder = 50 });
        catalog?.Invoke(builder);
        Catalog = builder.Build(1);
        Prices = new PricingSnapshotBuilder()
            .AddModel(Flagship, 10.00m, 30.00m)
            .AddModel(Balanced, 3.00m, 15.00m)
            .AddModel(Economy, 0.10m, 0.40m)
            .AddModel(Novel, 0.05m, 0.10m)
            .AddModel(Embedder, 0.01m, 0m)
            .AddTenant(Tenant)
            .AddTenant(OtherTenant, new TenantPricingConfig { ExternalDefaultMarkup = 1.00m, MinimumChargePerRequest = 0m })
            .Build(1);
        Health = ModelRouting.CreateHealth(health ?? new ModelHealthOptions(), Time);
        Router = ModelRouting.CreateRouter(() => Catalog, () => Prices, Health, new ModelRoutingOptions(), Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public RoutingCatalog Catalog { get; }

    public PricingSnapshot Prices { get; }

    public IModelHealth Health { get; }

    public IModelRouter Router { get; }

    public RoutingDecision Route(int inputTokens = 1_000, Func<RoutingRequest, RoutingRequest>? with = null) =>
        Router.Route(with?.Invoke(new RoutingRequest(Tenant, inputTokens)) ?? new RoutingRequest(Tenant, inputTokens));

    /// <summary>The pricing engine's own quote for the same tokens.</summary>
    public decimal Quote(string modelId, int inputTokens, int outputTokens, Guid? tenant = null) =>
        Prices.Quote(tenant ?? Tenant, modelId, inputTokens, outputTokens, Time.GetUtcNow()).Charge;

    /// <summary>Makes a model fail enough recent calls to be skipped.</summary>
    public void Trip(string modelId, int failures = 5)
    {
        for (var i = 0; i < failures; i++)
        {
            Health.Record(modelId, ModelCallOutcome.Failure, TimeSpan.FromMilliseconds(200));
        }
    }
}
