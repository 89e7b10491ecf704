using System.Runtime.CompilerServices;

namespace Radiant.Pricing;

/// <summary>
/// "Now" for quotes, without reading the wall clock on every quote (on this kind of machine that read costs as much as
/// the quote). Every quote between two price changes of a snapshot is the same, so a quote may use any instant of the
/// current interval: the clock reads the wall clock once, then reuses that instant for up to a second by a cheap
/// monotonic millisecond count — but never within a second of the snapshot's next change, where every quote reads the
/// wall clock again, so an override starts exactly at its instant.
/// </summary>
internal sealed class QuoteClock(TimeProvider time)
{
    // A reused instant lives at most this long, so a step of the wall clock (NTP) is followed within it.
    private const long MaxReuseMilliseconds = 1_000;

    // No reuse this close to a change: far more than the millisecond count's granularity (1–10 ms) and any drift between the clocks.
    private const long GuardTicks = TimeSpan.TicksPerSecond;

    private readonly bool _system = ReferenceEquals(time, TimeProvider.System);
    private readonly long _timestampsPerMillisecond = Math.Max(time.TimestampFrequency / 1_000, 1);
    private Anchor? _anchor;

    /// <summary>The instant, in UTC ticks, at which to quote "now" on <paramref name="snapshot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long UtcTicksFor(PricingSnapshot snapshot)
    {
        var anchor = Volatile.Read(ref _anchor);
        return anchor is not null && ReferenceEquals(anchor.Snapshot, snapshot) && Milliseconds() < anchor.UntilMilliseconds
            ? anchor.UtcTicks
            : Reanchor(snapshot);
    }

    // Environment.TickCount64 is a coarse monotonic read (no syscall); another provider (a test's fake) gives its own timestamps.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Milliseconds() => _system ? Environment.TickCount64 : time.GetTimestamp() / _timestampsPerMillisecond;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long Reanchor(PricingSnapshot snapshot)
    {
        // The count is read first, so the real time elapsed since the wall-clock read is never more than the count says.
        var milliseconds = Milliseconds();
        var now = time.GetUtcNow().UtcTicks;
        var next = snapshot.NextChangeAfter(now);
        var reuse = next == long.MaxValue ? MaxReuseMilliseconds : Math.Min(MaxReuseMilliseconds, (next - now - GuardTicks) / TimeSpan.TicksPerMillisecond);
        if (reuse > 0)
        {
            Volatile.Write(ref _anchor, new Anchor(snapshot, now, milliseconds + reuse));
        }

        return now;
    }

    private sealed record Anchor(PricingSnapshot Snapshot, long UtcTicks, long UntilMilliseconds);
}
