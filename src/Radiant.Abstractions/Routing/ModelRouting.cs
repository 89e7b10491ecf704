using Radiant.Pricing;

namespace Radiant.Routing;

/// <summary>
/// Builds the router and the health tracker without DI (a host with DI calls <c>AddModelRouter()</c> instead, and the
/// storage provider registers both). For example, over snapshots built in memory:
/// <code>
/// var health = ModelRouting.CreateHealth();
/// var router = ModelRouting.CreateRouter(() => catalog, () => pricingSnapshot, health);
/// RoutingDecision decision = router.Route(new RoutingRequest(tenantId, inputTokens: 1200) { DomainMode = "code" });
/// </code>
/// </summary>
public static class ModelRouting
{
    /// <summary>
    /// A router reading the current snapshots through <paramref name="catalog"/> and <paramref name="prices"/> on every
    /// decision (for example <c>() => pricingEngine.Current</c>), so that it follows their reloads. Without
    /// <paramref name="health"/>, no model is ever skipped as unhealthy.
    /// </summary>
    public static IModelRouter CreateRouter(
        Func<RoutingCatalog> catalog, Func<PricingSnapshot> prices, IModelHealth? health = null, ModelRoutingOptions? options = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        options ??= new ModelRoutingOptions();
        return new ModelRouter(catalog, prices, health ?? new ModelHealthTracker(options.Health, time), options, time);
    }

    /// <summary>An in-memory health tracker (see <see cref="IModelHealth"/> for the rule), with the default numbers unless given.</summary>
    public static IModelHealth CreateHealth(ModelHealthOptions? options = null, TimeProvider? time = null) =>
        new ModelHealthTracker(options ?? new ModelHealthOptions(), time ?? TimeProvider.System);
}
