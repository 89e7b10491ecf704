using System.Diagnostics;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Waits for a condition by polling it against a deadline (never a blind delay).</summary>
public static class Poll
{
    /// <summary>How long a scheduler outcome may take to show before a test gives up.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Polls until <paramref name="condition"/> holds; false when the deadline passed first.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (deadline ?? Deadline))
            {
                return false;
            }

            await Task.Delay(Interval, Ct);
        }

        return true;
    }

    /// <summary>Polls a synchronous condition until it holds; false when the deadline passed first.</summary>
    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan? deadline = null) =>
        UntilAsync(() => Task.FromResult(condition()), deadline);

    /// <summary>
    /// Reads a value until it satisfies <paramref name="until"/> and returns it; after the deadline fails the test
    /// with <paramref name="what"/> and the last value read.
    /// </summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> read, Func<T, bool> until, string what, TimeSpan? deadline = null)
    {
        var last = default(T);
        var reached = await UntilAsync(async () =>
        {
            last = await read();
            return until(last);
        }, deadline);
        Assert.True(reached, $"Timed out after {(deadline ?? Deadline).TotalSeconds:0} s waiting for {what}; last seen: {Describe(last)}");
        return last!;
    }

    /// <summary>
    /// Watches <paramref name="condition"/> for <paramref name="duration"/> (a bounded observation, for "nothing
    /// happens" checks); false as soon as it stops holding.
    /// </summary>
    public static async Task<bool> HoldsForAsync(Func<Task<bool>> condition, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            if (!await condition())
            {
                return false;
            }

            await Task.Delay(Interval * 5, Ct);
        }

        return await condition();
    }

    private static string Describe<T>(T? value) => value switch
    {
        null => "nothing",
        System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object?>()) + "]",
        _ => value.ToString() ?? "",
    };
}
