namespace Radiant.Pricing;

/// <summary>
/// "Now" for quotes, without reading the wall clock on every quote (on this kind of machine that read costs more than
/// the quote, and even <see cref="Environment.TickCount64"/> costs half of one). Every quote between two price changes
/// of a snapshot is the same, so a quote may use any instant of the current interval: the clock reads the wall clock
/// once and hands that instant out until a timer retires it — after at most a second, so a step of the wall clock is
/// followed, and never later than <see cref="GuardTicks"/> before the snapshot's next change, after which every
/// quote reads the wall clock again until the change has passed, so an override starts exactly at its instant.
/// </summary>
/// <remarks>
/// The timer runs on the thread pool: only a pool starved for longer than the guard could let a quote use an
/// instant from before a change after the change (and only by as long as the starvation lasted past the guard).
/// </remarks>
internal sealed class QuoteClock : IDisposable
{
    /// <summary>How long before a price change the clock stops reusing an instant.</summary>
    internal const long GuardTicks = 2 * TimeSpan.TicksPerSecond;

    // A reused instant lives at most this long.
    private const long MaxReuseTicks = TimeSpan.TicksPerSecond;

    private readonly TimeProvider _time;
    private readonly ITimer _expiry;
    private readonly Lock _anchoring = new();
    private volatile Anchor? _anchor;

    public QuoteClock(TimeProvider time)
    {
        _time = time;
        _expiry = time.CreateTimer(static clock => ((QuoteClock)clock!)._anchor = null, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The instant, in UTC ticks, at which to quote "now" on <paramref name="snapshot"/>.</summary>
    public long UtcTicksFor(PricingSnapshot snapshot)
    {
        var anchor = _anchor;
        return anchor is not null && ReferenceEquals(anchor.Snapshot, snapshot) ? anchor.UtcTicks : Reanchor(snapshot);
    }

    public void Dispose() => _expiry.Dispose();

    private long Reanchor(PricingSnapshot snapshot)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var reuse = Math.Min(MaxReuseTicks, snapshot.NextChangeAfter(now) - now - GuardTicks);
        if (reuse > 0)
        {
            // Together, so that a concurrent re-anchoring cannot leave this instant with a later expiry than its own.
            lock (_anchoring)
            {
                _anchor = new Anchor(snapshot, now);
                _expiry.Change(TimeSpan.FromTicks(reuse), Timeout.InfiniteTimeSpan);
            }
        }

        return now;
    }

    private sealed record Anchor(PricingSnapshot Snapshot, long UtcTicks);
}
