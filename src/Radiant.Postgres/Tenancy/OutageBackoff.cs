using Polly;
using Polly.Retry;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// How a background worker waits out an unavailable database: tries again after 100 ms, doubling with jitter to at
/// most <see cref="MaxDelay"/> (half a second), for as long as it takes; every call of the pipeline starts the backoff
/// over, so one success resets it. The cap is what brings every worker back within a second of the database.
/// </summary>
internal static class OutageBackoff
{
    /// <summary>The longest wait between two tries.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A pipeline that retries failures <see cref="DatabaseUnavailable.IsOutage"/> (or <paramref name="alsoRetry"/>)
    /// recognises until the call's token is cancelled, reporting each with <paramref name="onRetry"/>.
    /// </summary>
    public static ResiliencePipeline Create(TimeProvider time, Action<Exception?, TimeSpan> onRetry, Func<Exception, bool>? alsoRetry = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    !args.Context.CancellationToken.IsCancellationRequested
                    && args.Outcome.Exception is { } e
                    && (DatabaseUnavailable.IsOutage(e) || alsoRetry?.Invoke(e) == true)),
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
}
