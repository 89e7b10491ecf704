using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>
/// <see cref="PricingSnapshot.WithTenants"/> (what a per-tenant reload applies) quotes exactly like a snapshot built from
/// scratch with the same rows, without a database: tenants replaced, added and removed at once, with timelines.
/// </summary>
public sealed class SnapshotWithTenantsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Several_tenants_replaced_added_and_removed_quote_like_a_fresh_build()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid();
        var configB = TenantPricingConfig.Default with { ExternalDefaultMarkup = 0.3m, SelfHostedDefaultMarkup = 0.2m, MinimumChargePerRequest = 0.01m };
        var overrideB = new ModelPriceOverride("m2", null, 1.5m, 2.5m, T0.AddHours(1), T0.AddHours(2));
        var start = Models(new PricingSnapshotBuilder())
            .AddTenant(a)
            .AddTenant(b, configB)
            .AddTenant(c)
            .AddOverride(a, new ModelPriceOverride("m1", 0.1m, null, null, T0.AddDays(-1), null))
            .AddOverride(b, overrideB)
            .AddOverride(c, new ModelPriceOverride("m3", 0.5m, null, null, T0.AddHours(3), null))
            .Build(1);

        // a: new markups and a later override (its old one gone); c removed; d added with a base price; b untouched.
        var configA = TenantPricingConfig.Default with { ExternalDefaultMarkup = 0.6m, SelfHostedDefaultMarkup = 0.1m };
        var overrideA = new ModelPriceOverride("m1", 0.2m, null, null, T0.AddMinutes(30), T0.AddHours(5));
        var basePriceD = new TenantBasePrice("m2", 4m, 5m, T0.AddHours(4));
        var derived = start.WithTenants([(a, configA, [overrideA], []), (d, null, [], [basePriceD])], [c], 2);

        var expected = Models(new PricingSnapshotBuilder())
            .AddTenant(a, configA)
            .AddTenant(b, configB)
            .AddTenant(d)
            .AddOverride(a, overrideA)
            .AddOverride(b, overrideB)
            .AddBasePrice(d, basePriceD)
            .Build(2);

        Assert.Equal(expected.TenantCount, derived.TenantCount);
        Assert.Same(start.TenantOf(b), derived.TenantOf(b));
        Assert.Null(derived.TenantOf(c));
        DateTimeOffset[] instants =
        [
            T0.AddDays(-2), T0, T0.AddMinutes(30).AddTicks(-1), T0.AddMinutes(30), T0.AddHours(1), T0.AddHours(2).AddTicks(-1),
            T0.AddHours(2), T0.AddHours(3), T0.AddHours(4).AddTicks(-1), T0.AddHours(4), T0.AddHours(5), T0.AddDays(1),
        ];
        foreach (var tenant in new[] { a, b, c, d })
        {
            foreach (var model in new[] { "m1", "m2", "m3" })
            {
                foreach (var at in instants)
                {
                    Assert.Equal(expected.TryQuote(tenant, model, 1_234, 5_678, at, out var want), derived.TryQuote(tenant, model, 1_234, 5_678, at, out var got));
                    Assert.Equal(want, got);
                }
            }
        }

        // Every change instant of the fresh build is one of the derived snapshot's (which may keep a removed tenant's).
        foreach (var at in instants)
        {
            var next = expected.NextChangeAfter(at.UtcTicks);
            Assert.True(derived.NextChangeAfter(at.UtcTicks) <= next);
            if (next != long.MaxValue)
            {
                Assert.Equal(next, derived.NextChangeAfter(next - 1));
            }
        }
    }

    [Fact]
    public void Reloading_a_tenant_with_unchanged_rows_adds_no_change_instants()
    {
        var tenant = Guid.NewGuid();
        var o = new ModelPriceOverride("m1", 0.1m, null, null, T0.AddHours(1), T0.AddHours(2));
        var start = Models(new PricingSnapshotBuilder()).AddTenant(tenant).AddOverride(tenant, o).Build(1);

        var again = start.WithTenants([(tenant, null, [o], [])], [], 2);

        Assert.Equal(start.NextChangeAfter(T0.UtcTicks), again.NextChangeAfter(T0.UtcTicks));
        Assert.Equal(start.NextChangeAfter(T0.AddHours(1).UtcTicks), again.NextChangeAfter(T0.AddHours(1).UtcTicks));
        Assert.Equal(long.MaxValue, again.NextChangeAfter(T0.AddHours(2).UtcTicks));
    }

    private static PricingSnapshotBuilder Models(PricingSnapshotBuilder builder) =>
        builder.AddModel("m1", 1m, 2m).AddModel("m2", 3m, 4m, selfHosted: true).AddModel("m3", 0.5m, 1m);
}
