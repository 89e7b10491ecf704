using Microsoft.Extensions.DependencyInjection;
using Radiant.Postgres.Routing;
using Radiant.Pricing;
using Radiant.Routing;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Pricing;

namespace Radiant.Tests.Routing;

/// <summary>A database with the router enabled: <c>AddRadiant().UsePostgres(...).AddModelRouter()</c> and the built-in catalogue synced.</summary>
public sealed class RouterDatabase(PostgresServer server) : IAsyncLifetime
{
    private PricingDatabase? _db;

    public PricingDatabase Db => _db ?? throw new InvalidOperationException("Not initialized.");

    public IModelRouter Router => Db.Services.GetRequiredService<IModelRouter>();

    public async ValueTask InitializeAsync() =>
        _db = await PricingDatabase.CreateAsync(server, services => services.AddRadiant().AddModelRouter(o => o.Health.BreakDuration = TimeSpan.FromMinutes(1)));

    public async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }
}

/// <summary>The router over the real snapshots a host keeps: the pricing engine's and the routing catalogue loaded from the registry.</summary>
public sealed class RouterDatabaseTests(RouterDatabase router) : IClassFixture<RouterDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PricingDatabase Db => router.Db;

    [Fact]
    public void The_router_its_health_and_the_token_counter_resolve_from_the_registration()
    {
        var services = Db.Services;

        Assert.Same(services.GetRequiredService<IModelRouter>(), services.GetRequiredService<IModelRouter>());
        Assert.IsType<TiktokenTokenCounter>(services.GetRequiredService<ITokenCounter>());
        Assert.Equal(TimeSpan.FromMinutes(1), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ModelRoutingOptions>>().Value.Health.BreakDuration);
        Assert.Equal(32, router.Router.Catalog.Count);
    }

    [Fact]
    public async Task Every_estimated_charge_is_the_pricing_engines_quote_for_the_same_tokens()
    {
        var tenant = await Db.NewTenantAsync();
        var admin = Admin(tenant);
        await Db.Pricing.SetOverrideAsync(admin, "claude-4-sonnet", new PriceOverrideInput(Markup: 0.15m), Ct);
        await Db.Pricing.SetOverrideAsync(admin, "gpt-4o-mini", new PriceOverrideInput(InputPricePer1M: 0.33m, OutputPricePer1M: 1.11m), Ct);
        await Eventually.QuoteAsync(Db.Engine, tenant, "gpt-4o-mini", 0, 1_000_000, q => q.UserOutputPricePer1M == 1.11m);

        foreach (var (input, reply, cheapest) in new[] { (1_500, (int?)null, false), (37, 5, true), (60_000, 12_000, false), (9_999, 3_333, true) })
        {
            var decision = router.Router.Route(new RoutingRequest(tenant, input) { MaxOutputTokens = reply, PreferCostOptimization = cheapest });

            Assert.NotEmpty(decision.Fallbacks);
            foreach (var candidate in decision.Fallbacks.Prepend(decision.Chosen))
            {
                Assert.Equal(Db.Engine.Quote(tenant, candidate.ModelId, input, candidate.ReplyTokens).Charge, candidate.EstimatedCharge);
            }
        }
    }

    [Fact]
    public async Task The_built_in_catalogue_routes_by_the_rules()
    {
        var tenant = await Db.NewTenantAsync();

        var best = router.Router.Route(new RoutingRequest(tenant, 2_000));
        var cheapest = router.Router.Route(new RoutingRequest(tenant, 2_000) { PreferCostOptimization = true });
        var image = router.Router.Route(new RoutingRequest(tenant, 2_000) { Attachments = RoutingAttachments.Image, MaxCostPerMessage = 0.05m });
        var code = router.Router.Route(new RoutingRequest(tenant, 2_000) { DomainMode = "code", MaxCostPerMessage = 0.01m });

        Assert.Equal(("claude-4-opus", RoutingRule.BestFit), (best.ModelId, best.Rule));
        Assert.Equal(RoutingRule.CheapestFit, cheapest.Rule);
        Assert.True(cheapest.Fallbacks.All(f => f.EstimatedCharge >= cheapest.EstimatedCharge));
        Assert.Contains(RoutingCapabilities.Vision, new[] { router.Router.Catalog.Models.Single(m => m.Id == image.ModelId).Capabilities & RoutingCapabilities.Vision });
        Assert.True(image.EstimatedCharge <= 0.05m);
        Assert.True((router.Router.Catalog.Models.Single(m => m.Id == code.ModelId).Capabilities & RoutingCapabilities.Code) != 0);
        Assert.Contains(best.Exclusions, e => e.ModelId == "grok-2" && e.Reason == RoutingExclusionReason.Disabled);
        Assert.Contains(best.Exclusions, e => e.ModelId == "grok-embed" && e.Reason == RoutingExclusionReason.NoReply);
    }

    [Fact]
    public async Task A_model_a_tenants_admin_switches_off_leaves_that_tenants_routing_and_no_one_elses()
    {
        var tenant = await Db.NewTenantAsync();
        var other = await Db.NewTenantAsync();
        await Eventually.TrueAsync(() => router.Router.Route(new RoutingRequest(other, 10)).ModelId == "claude-4-opus");

        await Db.Registry.SetEnabledAsync(Admin(tenant), "claude-4-opus", false, Ct);
        await Db.Registry.SetThinkTankEnabledAsync(Admin(tenant), "claude-4-sonnet", false, Ct);

        // Each switch is its own change: wait until both reached the catalogue (the flagship gpt-4o is next either way).
        static bool Disabled(RoutingDecision d, string model) => d.Exclusions.Any(e => e.ModelId == model && e.Reason == RoutingExclusionReason.Disabled);
        Assert.True(
            await Eventually.TrueAsync(() => Disabled(router.Router.Route(new RoutingRequest(tenant, 10)), "claude-4-sonnet")),
            "the switches did not reach the router");
        var decision = router.Router.Route(new RoutingRequest(tenant, 10));
        Assert.Equal("gpt-4o", decision.ModelId);
        Assert.True(Disabled(decision, "claude-4-opus"));
        Assert.True(Disabled(decision, "claude-4-sonnet"));
        Assert.Equal("claude-4-opus", router.Router.Route(new RoutingRequest(other, 10)).ModelId);

        // Switched back on: routed to again.
        await Db.Registry.SetEnabledAsync(Admin(tenant), "claude-4-opus", true, Ct);
        Assert.True(await Eventually.TrueAsync(() => router.Router.Route(new RoutingRequest(tenant, 10)).ModelId == "claude-4-opus"));
    }

    [Fact]
    public async Task Failures_the_pipeline_records_skip_the_model_on_this_instance()
    {
        var tenant = await Db.NewTenantAsync();
        var health = Db.Services.GetRequiredService<IModelHealth>();

        for (var i = 0; i < 5; i++)
        {
            health.Record("perplexity-sonar-pro", ModelCallOutcome.Timeout, TimeSpan.FromSeconds(30));
        }

        var decision = router.Router.Route(new RoutingRequest(tenant, 100) { ModeDefaultModelId = "perplexity-sonar-pro" });
        Assert.Equal(RoutingRule.BestFit, decision.Rule);
        Assert.Equal(RoutingExclusionReason.Unhealthy, decision.SkippedModeDefault?.Reason);
        Assert.Contains(decision.Exclusions, e => e.ModelId == "perplexity-sonar-pro" && e.Reason == RoutingExclusionReason.Unhealthy && e.RecentFailures == 5);
    }
}
