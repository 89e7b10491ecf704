using Microsoft.Extensions.Time.Testing;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>
/// The engine's "now" for quotes reuses one wall-clock read for up to a second, but never near a price change: an
/// override starts at its instant and ends at its end, to the tick, whatever the clock reused before.
/// </summary>
public sealed class QuoteClockTests
{
    private static readonly Guid Tenant = Guid.CreateVersion7();
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset OverrideFrom = Start.AddSeconds(30);
    private static readonly DateTimeOffset OverrideTo = OverrideFrom.AddMinutes(5);

    private static PricingSnapshot Snapshot() => new PricingSnapshotBuilder()
        .AddModel("m", 2.00m, 8.00m)
        .AddTenant(Tenant, new TenantPricingConfig { MinimumChargePerRequest = 0m })
        .AddOverride(Tenant, new ModelPriceOverride("m", 0m, 1.00m, null, OverrideFrom, OverrideTo))
        .Build();

    [Fact]
    public void Far_from_a_change_one_wall_clock_instant_is_reused_for_at_most_a_second()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new QuoteClock(time);
        var snapshot = Snapshot();

        Assert.Equal(Start.UtcTicks, clock.UtcTicksFor(snapshot));
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(Start.UtcTicks, clock.UtcTicksFor(snapshot));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Start.AddSeconds(1).UtcTicks, clock.UtcTicksFor(snapshot));
    }

    [Fact]
    public void An_override_starts_and_ends_at_its_instant_even_after_a_reused_instant()
    {
        var time = new FakeTimeProvider(OverrideFrom.AddSeconds(-1.5));
        var clock = new QuoteClock(time);
        var snapshot = Snapshot();
        PriceQuote Now() => snapshot.QuoteAt(Tenant, "m", 1_000_000, 0, clock.UtcTicksFor(snapshot));

        var before = Now(); // anchors 1.5 s before the start: reusable for at most 0.5 s
        Assert.Equal(2.80m, before.UserInputPricePer1M);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(before, Now());

        // Within the guard second every quote reads the clock: one tick before the start, then the start itself.
        time.SetUtcNow(OverrideFrom.AddTicks(-1));
        Assert.Equal(2.80m, Now().UserInputPricePer1M);
        time.SetUtcNow(OverrideFrom);
        var during = Now();
        Assert.True(during.OverrideApplied);
        Assert.Equal(1.00m, during.UserInputPricePer1M);

        time.SetUtcNow(OverrideTo.AddTicks(-1));
        Assert.True(Now().OverrideApplied);
        time.SetUtcNow(OverrideTo);
        Assert.False(Now().OverrideApplied);
        Assert.Equal(before, Now());
    }

    [Fact]
    public void A_new_snapshot_is_quoted_at_a_fresh_instant()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new QuoteClock(time);
        var first = Snapshot();
        Assert.Equal(Start.UtcTicks, clock.UtcTicksFor(first));

        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(Start.AddMilliseconds(10).UtcTicks, clock.UtcTicksFor(Snapshot()));
    }

    [Fact]
    public void Threads_sharing_the_clock_never_quote_an_override_late()
    {
        var time = new FakeTimeProvider(OverrideFrom.AddSeconds(-2));
        var clock = new QuoteClock(time);
        var snapshot = Snapshot();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                clock.UtcTicksFor(snapshot);
            }
        });

        time.SetUtcNow(OverrideFrom);
        Parallel.For(0, 4, _ => Assert.True(snapshot.QuoteAt(Tenant, "m", 1, 0, clock.UtcTicksFor(snapshot)).OverrideApplied));
    }
}
