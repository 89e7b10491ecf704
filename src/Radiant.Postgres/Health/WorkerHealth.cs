using System.Collections.Concurrent;

namespace Radiant.Postgres.Health;

/// <summary>
/// Where this host's background workers say how they are doing, for the health check: each completed cycle, each
/// failure. A worker that has gone too long without completing a cycle — or, for one that works on demand, that has
/// been failing too long — makes the host Degraded, with the reason.
/// </summary>
internal sealed class WorkerHealth(TimeProvider time)
{
    /// <summary>Added to every allowance: a busy machine may run a cycle late without anything being wrong.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<WorkerHealthReporter, bool> _workers = new();

    /// <summary>
    /// Starts tracking a worker. With <paramref name="interval"/>, it completes a cycle at least that often (idle
    /// workers too) and is late after twice that plus <see cref="Slack"/>; without, it works on demand and is late
    /// once it has been failing for longer than <see cref="Slack"/>. Dispose the reporter when the worker stops.
    /// </summary>
    public WorkerHealthReporter Track(string worker, TimeSpan? interval)
    {
        var reporter = new WorkerHealthReporter(this, worker, interval, time);
        _workers[reporter] = true;
        return reporter;
    }

    /// <summary>Every tracked worker's state now.</summary>
    public IReadOnlyList<WorkerStatus> Read()
    {
        var now = time.GetUtcNow();
        return [.. _workers.Keys.Select(w => w.Status(now)).OrderBy(s => s.Worker, StringComparer.Ordinal)];
    }

    internal void Untrack(WorkerHealthReporter reporter) => _workers.TryRemove(reporter, out _);
}

/// <summary>One worker's line to <see cref="WorkerHealth"/>.</summary>
internal sealed class WorkerHealthReporter : IDisposable
{
    private readonly WorkerHealth _owner;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private DateTimeOffset _lastCompleted;
    private DateTimeOffset? _failingSince;
    private string? _lastError;

    internal WorkerHealthReporter(WorkerHealth owner, string worker, TimeSpan? interval, TimeProvider time)
    {
        _owner = owner;
        _time = time;
        Worker = worker;
        Interval = interval;
        // A worker that never completes its first cycle is late one allowance after it was created.
        _lastCompleted = time.GetUtcNow();
    }

    public string Worker { get; }

    public TimeSpan? Interval { get; }

    public TimeSpan Allowance => Interval is { } interval ? (interval * 2) + WorkerHealth.Slack : WorkerHealth.Slack;

    /// <summary>A cycle completed (or the worker is waiting on its own work, which is as good).</summary>
    public void Completed()
    {
        lock (_lock)
        {
            _lastCompleted = _time.GetUtcNow();
            _failingSince = null;
        }
    }

    /// <summary>A cycle failed; the worker tries again.</summary>
    public void Failed(Exception? failure)
    {
        lock (_lock)
        {
            _failingSince ??= _time.GetUtcNow();
            _lastError = failure is null ? null : $"{failure.GetType().Name}: {failure.Message}";
        }
    }

    public void Dispose() => _owner.Untrack(this);

    internal WorkerStatus Status(DateTimeOffset now)
    {
        lock (_lock)
        {
            var late = Interval is null
                ? _failingSince is { } since && now - since > Allowance
                : now - _lastCompleted > Allowance;
            return new WorkerStatus(Worker, Interval, late, _lastCompleted, _failingSince, _failingSince is null ? null : _lastError);
        }
    }
}

/// <summary>What <see cref="WorkerHealth"/> knows of one worker.</summary>
internal sealed record WorkerStatus(string Worker, TimeSpan? Interval, bool Late, DateTimeOffset LastCompleted, DateTimeOffset? FailingSince, string? LastError)
{
    public string Describe(DateTimeOffset now)
    {
        var since = FailingSince ?? LastCompleted;
        var what = Interval is { } interval
            ? $"{Worker} has not completed a cycle since {LastCompleted:O} ({(now - LastCompleted).TotalSeconds:0} s; expected every {interval.TotalSeconds:0.#} s)"
            : $"{Worker} has been failing since {since:O} ({(now - since).TotalSeconds:0} s)";
        return LastError is null ? what : $"{what}; last error: {LastError}";
    }
}
