using BenchmarkDotNet.Attributes;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Routing;

namespace Radiant.Benchmarks.Routing;

/// <summary>
/// One routing decision, computed in memory from the snapshots. The catalogue is the 32 built-in models (or those plus
/// synthetic ones up to <see cref="Models"/>); 100 tenants, 10 of them with models switched off and 20 with overrides;
/// one model is unhealthy. Each invocation routes the next of 4,096 pre-generated messages: random tenant, prompt
/// sizes from chat to long context, 20 % with an image, the seven domain modes, half with a cost limit, 30 % preferring
/// cost, 10 % with a per-mode override and 20 % with a mode default. Messages nothing fits are left out (an exception
/// per decision would measure the exception).
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private const int RequestCount = 4096;
    private static readonly string[] Modes = ["general", "medical", "legal", "code", "academic", "creative", "scientific"];

    private RoutingRequest[] _requests = null!;
    private IModelRouter _router = null!;
    private StraightforwardRouter _straightforward = null!;
    private int _next;

    /// <summary>Models in the catalogue: the built-in 32, or a large tenant catalogue.</summary>
    [Params(32, 512)]
    public int Models { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261201);
        var time = new FixedTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var catalog = new RoutingCatalogBuilder().AddModels(BuiltInCatalog.Catalog.Models);
        var prices = new PricingSnapshotBuilder();
        foreach (var m in BuiltInCatalog.Catalog.Models)
        {
            prices.AddModel(m.Id, m.InputPricePer1M, m.OutputPricePer1M, m.ProviderId == ProviderDefinition.SelfHostedId);
        }

        string[] categories = ["flagship", "balanced", "economy", "specialized", "novel"];
        for (var i = BuiltInCatalog.Catalog.Models.Count; i < Models; i++)
        {
            var id = $"synthetic-{i:D4}";
            var capabilities = (RoutingCapabilities)random.Next(0, 64);
            catalog.AddModel(new RoutingModel(id, $"provider-{i % 16}", random.Next(1, 9) * 16_000, random.Next(1, 5) * 4_096, capabilities)
            {
                Category = categories[i % categories.Length],
                IsNovel = i % 5 == 4,
                DisplayOrder = 1_000 + i,
            });
            prices.AddModel(id, random.Next(1, 2_000) / 100m, random.Next(1, 8_000) / 100m);
        }

        var modelIds = catalog.Build().Models.Select(m => m.Id).ToArray();
        var tenants = Enumerable.Range(0, 100).Select(i => new Guid($"70000000-0000-4000-8000-{i:D12}")).ToArray();
        foreach (var (tenant, t) in tenants.Select((g, i) => (g, i)))
        {
            prices.AddTenant(tenant, t % 3 == 0 ? new TenantPricingConfig { ExternalDefaultMarkup = 0.25m, MinimumChargePerRequest = 0.0005m } : null);
            if (t % 10 == 0)
            {
                foreach (var off in modelIds.Take(3))
                {
                    catalog.SetEnabled(tenant, off, false);
                }
            }

            if (t % 5 == 0)
            {
                prices.AddOverride(tenant, new ModelPriceOverride(modelIds[random.Next(modelIds.Length)], 0.10m, null, null, DateTimeOffset.UnixEpoch, null));
            }
        }

        var routingCatalog = catalog.Build(1);
        var snapshot = prices.Build(1);
        var health = ModelRouting.CreateHealth(time: time);
        for (var i = 0; i < 5; i++)
        {
            health.Record("gpt-4o", ModelCallOutcome.Failure, TimeSpan.FromSeconds(1));
        }

        _router = ModelRouting.CreateRouter(() => routingCatalog, () => snapshot, health, time: time);
        _straightforward = new StraightforwardRouter(routingCatalog, snapshot, health, time.GetUtcNow());

        var requests = new List<RoutingRequest>(RequestCount);
        while (requests.Count < RequestCount)
        {
            var request = new RoutingRequest(tenants[random.Next(tenants.Length)], random.Next(10) == 0 ? random.Next(20_000, 150_000) : random.Next(50, 8_000))
            {
                DomainMode = Modes[random.Next(Modes.Length)],
                Attachments = random.Next(5) == 0 ? RoutingAttachments.Image : RoutingAttachments.None,
                MaxCostPerMessage = random.Next(2) == 0 ? null : new[] { 0.002m, 0.01m, 0.05m, 0.5m }[random.Next(4)],
                PreferCostOptimization = random.Next(10) < 3,
                UserModeOverrideModelId = random.Next(10) == 0 ? new string(modelIds[random.Next(modelIds.Length)]) : null,
                ModeDefaultModelId = random.Next(5) == 0 ? new string(modelIds[random.Next(modelIds.Length)]) : null,
            };
            var expected = _straightforward.Route(request);
            if (expected is null)
            {
                Assert(throws: () => _router.Route(request));
                continue;
            }

            var decision = _router.Route(request);
            if (decision.ModelId != expected.ModelId || decision.Rule != expected.Rule || decision.EstimatedCharge != expected.EstimatedCharge
                || !decision.Fallbacks.Select(f => (f.ModelId, f.EstimatedCharge)).SequenceEqual(expected.Fallbacks.Select(f => (f.Model.Id, f.Charge)))
                || !decision.Exclusions.Select(e => (e.ModelId, e.Reason)).SequenceEqual(expected.Exclusions.Select(e => (e.Model.Id, e.Reason!.Value))))
            {
                throw new InvalidOperationException($"The router and the baseline disagree on {request}: {decision} vs {expected.ModelId} by {expected.Rule}.");
            }

            requests.Add(request);
        }

        _requests = [.. requests];
    }

    /// <summary>The baseline: every model quoted and checked with LINQ, then sorted.</summary>
    [Benchmark(Baseline = true)]
    public object? Straightforward() => _straightforward.Route(Next());

    /// <summary><see cref="IModelRouter.Route"/>: the decision with its fallbacks and exclusions.</summary>
    [Benchmark]
    public RoutingDecision Router() => _router.Route(Next());

    private RoutingRequest Next() => _requests[_next++ & (RequestCount - 1)];

    private static void Assert(Action throws)
    {
        try
        {
            throws();
        }
        catch (NoModelFitsException)
        {
            return;
        }

        throw new InvalidOperationException("The baseline found nothing that fits, but the router chose a model.");
    }
}

/// <summary>A clock stopped at one instant, so the unhealthy model stays unhealthy for the whole run.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
