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
    private static readonly TimeSpan Guard = TimeSpan.FromTicks(QuoteClock.GuardTicks);

    private static PricingSnapshot Snapshot() => new PricingSnapshotBuilder()
        .AddModel("m", 2.00m, 8.00m)
        .AddTenant(Tenant, new TenantPricingConfig { MinimumChargePerRequest = 0m })
        .AddOverride(Tenant, new ModelPriceOverride("m", 0m, 1.00m, null, OverrideFrom, OverrideTo))
        .Build();

    [Fact]
    public void Far_from_a_change_one_wall_clock_instant_is_reused_for_at_most_a_second()
    {
        var time = new FakeTimeProvider(Start);
        using var clock = new QuoteClock(time);
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
        var time = new FakeTimeProvider(OverrideFrom - Guard - TimeSpan.FromMilliseconds(500));
        using var clock = new QuoteClock(time);
        var snapshot = Snapshot();
        PriceQuote Now() => snapshot.QuoteAt(Tenant, "m", 1_000_000, 0, clock.UtcTicksFor(snapshot));

        var before = Now(); // reusable for the 0.5 s left before the guard
        Assert.Equal(2.80m, before.UserInputPricePer1M);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(before, Now());

        // Within the guard every quote reads the clock: one tick before the start, then the start itself.
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
    public void Inside_the_guard_the_clock_is_read_on_every_quote()
    {
        var time = new FakeTimeProvider(OverrideFrom - Guard);
        using var clock = new QuoteClock(time);
        var snapshot = Snapshot();

        for (var step = 0; step < 5; step++)
        {
            Assert.Equal(time.GetUtcNow().UtcTicks, clock.UtcTicksFor(snapshot));
            time.Advance(TimeSpan.FromTicks(1));
        }
    }

    [Fact]
    public void A_new_snapshot_is_quoted_at_a_fresh_instant()
    {
        var time = new FakeTimeProvider(Start);
        using var clock = new QuoteClock(time);
        Assert.Equal(Start.UtcTicks, clock.UtcTicksFor(Snapshot()));

        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(Start.AddMilliseconds(10).UtcTicks, clock.UtcTicksFor(Snapshot()));
    }

    [Fact]
    public void Threads_sharing_the_clock_quote_an_override_from_its_instant()
    {
        var time = new FakeTimeProvider(OverrideFrom - Guard - TimeSpan.FromSeconds(3));
        using var clock = new QuoteClock(time);
        var snapshot = Snapshot();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                Assert.False(snapshot.QuoteAt(Tenant, "m", 1, 0, clock.UtcTicksFor(snapshot)).OverrideApplied);
            }
        });

        time.SetUtcNow(OverrideFrom);
        Parallel.For(0, 4, _ => Assert.True(snapshot.QuoteAt(Tenant, "m", 1, 0, clock.UtcTicksFor(snapshot)).OverrideApplied));
    }
}
