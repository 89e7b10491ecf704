using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>A change made on one host instance reaches every instance's engine within a second.</summary>
public sealed class PricingPropagationTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private const string Model = "gpt-4o";

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_override_on_one_instance_reaches_another_instances_engine_within_a_second()
    {
        var tenant = await db.NewTenantAsync();
        await using var second = await PricingDatabase.BuildAsync(db.ConnectionString);
        var otherEngine = second.GetRequiredService<IPricingEngine>();
        Assert.NotSame(db.Engine, otherEngine);
        Assert.Equal(0.40m, otherEngine.Quote(tenant, Model, 1, 0).EffectiveMarkup);

        var latencies = new List<TimeSpan>();
        foreach (var markup in new[] { 0.30m, 0.25m, 0.20m, 0.15m, 0.10m })
        {
            await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: markup), Ct);
            var clock = Stopwatch.StartNew(); // the change is committed when the call returns
            var arrived = await Eventually.TrueAsync(() => otherEngine.Quote(tenant, Model, 1, 0).EffectiveMarkup == markup);
            var latency = clock.Elapsed;

            Assert.True(arrived, $"markup {markup} did not reach the second instance within {Eventually.Deadline}");
            latencies.Add(latency);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Override → second instance's engine: {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:0.0} ms"))} (max {latencies.Max().TotalMilliseconds:0.0} ms)"));
        Assert.All(latencies, l => Assert.True(l < Budget, $"took {l.TotalMilliseconds:0.0} ms"));
    }

    [Fact]
    public async Task A_config_change_on_the_second_instance_reaches_the_first_within_a_second()
    {
        var tenant = await db.NewTenantAsync();
        await using var second = await PricingDatabase.BuildAsync(db.ConnectionString);
        var otherPricing = second.GetRequiredService<IPricingAdminService>();

        await otherPricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { MinimumChargePerRequest = 0.02m }, Ct);
        var clock = Stopwatch.StartNew();
        var arrived = await Eventually.TrueAsync(() => db.Engine.Quote(tenant, Model, 1, 0).Charge == 0.02m);
        var latency = clock.Elapsed;

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Config change → first instance's engine: {latency.TotalMilliseconds:0.0} ms"));
        Assert.True(arrived);
        Assert.True(latency < Budget, $"took {latency.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task A_new_tenant_is_priced_by_every_instance_without_a_manual_refresh()
    {
        await using var second = await PricingDatabase.BuildAsync(db.ConnectionString);
        var otherEngine = second.GetRequiredService<IPricingEngine>();

        var tenant = (await db.NewUserAsync()).TenantId;

        Assert.True(await Eventually.TrueAsync(() => otherEngine.TryQuote(tenant, Model, 1, 0, out _)), "the second instance learns of the tenant");
        Assert.True(await Eventually.TrueAsync(() => db.Engine.TryQuote(tenant, Model, 1, 0, out _)), "the first instance learns of the tenant");
        Assert.Equal(0.001m, otherEngine.Quote(tenant, Model, 1, 0).Charge);
    }
}
