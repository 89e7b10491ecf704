using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// The scheduler worker: claims due occurrences and waiting runs (batched, SKIP LOCKED, so any number of instances
/// share the work and each occurrence runs once), executes them with at most
/// <see cref="SchedulerWorkerOptions.MaxConcurrentRuns"/> claimed and not yet recorded at a time (so a slow recorder
/// slows claiming instead of piling up executed runs), keeps their leases alive, and records outcomes in batches. It sleeps until the next known due instant, wakes at once on LISTEN/NOTIFY, and polls as a safety net.
/// On stop it hands unfinished runs back so another instance starts them without waiting for the lease to expire.
/// While the database is unavailable, claiming and recording try again with <see cref="OutageBackoff"/> (at most half a
/// second apart), so the worker is back within a second of the database; both report to <see cref="WorkerHealth"/>.
/// </summary>
internal sealed partial class SchedulerWorker : BackgroundService
{
    private static readonly TimeSpan MinimumIdle = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RecordCoalesce = TimeSpan.FromMilliseconds(2);

    private readonly SchedulerStore _store;
    private readonly SchedulerMetrics _metrics;
    private readonly PromptExecutor _executor;
    private readonly SchedulerWorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SchedulerWorker> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<RunOutcome> _outcomes = Channel.CreateUnbounded<RunOutcome>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, ClaimedRun> _leased = new(); // by lease token
    private readonly ConcurrentDictionary<Guid, Task> _executing = new(); // by lease token
    private readonly ConcurrentQueue<ClaimedRun> _handBack = new();
    private readonly WorkerHealth _health;
    private readonly ResiliencePipeline _claimRetry;
    private readonly ResiliencePipeline _recordRetry;
    private WorkerHealthReporter? _claimsHealth;
    private WorkerHealthReporter? _recordingHealth;

    public SchedulerWorker(
        SchedulerStore store,
        SchedulerMetrics metrics,
        PromptExecutor executor,
        RadiantListener listener,
        RadiantDb db,
        WorkerHealth health,
        IOptions<SchedulerWorkerOptions> options,
        TimeProvider time,
        ILogger<SchedulerWorker> logger)
    {
        _store = store;
        _metrics = metrics;
        _executor = executor;
        _options = options.Value;
        _time = time;
        _logger = logger;
        // Every change made through Radiant, and every reconnect of the host's listener (anything missed), wakes the claim loop.
        listener.Subscribe(RadiantChannels.Schedules(db), _ => _wake.Writer.TryWrite(true), () => _wake.Writer.TryWrite(true));
        _slots = new SemaphoreSlim(_options.MaxConcurrentRuns, _options.MaxConcurrentRuns);
        _health = health;
        _claimRetry = OutageBackoff.Create(time, OnClaimRetry, IsDatabaseFailure);
        // Recording keeps trying while stopping too (for DrainTimeout), so it is called without the stopping token; a
        // cancellation it sees is its own per-try timeout.
        _recordRetry = OutageBackoff.Create(time, OnRecordRetry, e => e is OperationCanceledException);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_options.WorkerId, _options.MaxConcurrentRuns);
        using var claims = _claimsHealth = _health.Track($"scheduler worker {_options.WorkerId} (claims)", _options.PollInterval);
        using var recording = _recordingHealth = _health.Track($"scheduler worker {_options.WorkerId} (recording outcomes)", interval: null);
        var heartbeat = HeartbeatAsync(stoppingToken);
        var recorder = RecordOutcomesAsync(recording, stoppingToken);
        try
        {
            await ClaimLoopAsync(claims, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Executions see the stopping token: finished ones are recorded, interrupted ones handed back.
            await Task.WhenAll(_executing.Values);
            _outcomes.Writer.TryComplete();
            await recorder;
            await HandBackAsync();
            await Quietly(heartbeat);
            LogStopped(_options.WorkerId);
        }
    }

    private async Task ClaimLoopAsync(WorkerHealthReporter health, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Waiting for slots held by this worker's own runs is busy, not stuck.
            while (!await _slots.WaitAsync(_options.PollInterval, stoppingToken))
            {
                health.Completed();
            }

            // One slot is held: the first try claims with it, a retry waits for one again.
            var holdsSlot = true;
            var (claimed, wanted) = await _claimRetry.ExecuteAsync(
                async ct =>
                {
                    if (!holdsSlot)
                    {
                        await _slots.WaitAsync(ct);
                    }

                    holdsSlot = false;
                    return await ClaimOnceAsync(ct);
                },
                stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            health.Completed();
            if (claimed == wanted)
            {
                continue; // Possibly more due: claim again as soon as a slot is free.
            }

            await WaitForWakeAsync(await UntilNextDueAsync(claimed > 0, stoppingToken), stoppingToken);
        }
    }

    /// <summary>
    /// Claims with the slot the caller holds and any others free at once, starts what was claimed and frees the rest;
    /// then rethrows a database failure for <see cref="_claimRetry"/> to wait out.
    /// </summary>
    private async Task<(int Claimed, int Wanted)> ClaimOnceAsync(CancellationToken stoppingToken)
    {
        var wanted = 1;
        while (wanted < _options.BatchSize && _slots.Wait(0, CancellationToken.None))
        {
            wanted++;
        }

        var claimed = new List<ClaimedRun>(wanted);
        Exception? failure = null;
        try
        {
            // Waiting runs first (recoveries and run-now requests are already late), then due occurrences: one transaction.
            claimed.AddRange(await _store.ClaimAsync(wanted, _options.WorkerId, _options.LeaseDuration, stoppingToken));
        }
        catch (Exception e) when (IsDatabaseFailure(e, stoppingToken) || stoppingToken.IsCancellationRequested)
        {
            failure = e;
        }

        // Runs of a claim that committed are this worker's even if the next claim failed: run them (when stopping,
        // starting them hands them straight back) rather than leave them leased to nobody until the lease expires.
        if (claimed.Count < wanted)
        {
            _slots.Release(wanted - claimed.Count);
        }

        foreach (var run in claimed)
        {
            Start(run, stoppingToken);
        }

        if (failure is not null && !stoppingToken.IsCancellationRequested)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return (claimed.Count, wanted);
    }

    private async Task<TimeSpan> UntilNextDueAsync(bool claimedSome, CancellationToken stoppingToken)
    {
        TimeSpan? untilDue;
        try
        {
            // Measured by the database's clock, against which next runs and leases are due: a host clock that is
            // off would otherwise make the worker wake early and spin, or late.
            untilDue = await _store.UntilNextDueAsync(stoppingToken);
        }
        catch (Exception e) when (IsDatabaseFailure(e, stoppingToken))
        {
            // The next claim waits out the outage with the backoff; the poll interval would be far longer.
            LogClaimFailed(e, OutageBackoff.MaxDelay);
            return OutageBackoff.MaxDelay;
        }

        if (untilDue is not { } wait)
        {
            return _options.PollInterval;
        }

        if (wait <= TimeSpan.Zero)
        {
            // Due work exists but another worker holds it (SKIP LOCKED): look again shortly rather than spin.
            return claimedSome ? TimeSpan.Zero : MinimumIdle;
        }

        return wait < _options.PollInterval ? wait : _options.PollInterval;
    }

    private void Start(ClaimedRun run, CancellationToken stoppingToken)
    {
        // Keyed by lease token, not run id: a run whose lease this worker lost (heartbeats failing for a whole lease)
        // can come back to it under a new lease while the first execution is still finishing.
        _leased[run.LeaseToken] = run;
        var lag = run.StartedAt - run.ScheduledFor;
        var trigger = new KeyValuePair<string, object?>("radiant.trigger", DbEnum.Name(run.Trigger));
        _metrics.RunsStarted.Add(1, trigger);
        _metrics.Lag.Record(Math.Max(0, lag.TotalSeconds), trigger);
        // The gate makes sure the task is tracked before it can finish and untrack itself.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _executing[run.LeaseToken] = ExecuteAsync(gate.Task, run, stoppingToken);
        gate.SetResult();
    }

    private async Task ExecuteAsync(Task gate, ClaimedRun run, CancellationToken stoppingToken)
    {
        await gate;
        using var activity = SchedulerTelemetry.Source.StartActivity("scheduled_prompt.run", ActivityKind.Internal);
        activity?.SetTag("radiant.tenant_id", run.TenantId);
        activity?.SetTag("radiant.schedule_id", run.ScheduleId);
        activity?.SetTag("radiant.run_id", run.RunId);
        activity?.SetTag("radiant.model", run.Model);
        activity?.SetTag("radiant.trigger", DbEnum.Name(run.Trigger));
        var queued = false;
        try
        {
            var outcome = await _executor.ExecuteAsync(run, stoppingToken);
            activity?.SetTag("radiant.status", DbEnum.Name(outcome.Status));
            if (outcome.Status == ScheduleRunStatus.Failed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
            }

            // From here the recorder owns the slot: it frees it once the outcome is recorded.
            queued = _outcomes.Writer.TryWrite(outcome);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _handBack.Enqueue(run);
            _leased.TryRemove(run.LeaseToken, out _);
        }
        catch (Exception e)
        {
            // The executor records failures as outcomes; reaching here is a bug. The lease expires and another
            // worker (or this one) takes the run again.
            LogUnexpected(e, run.RunId);
            _leased.TryRemove(run.LeaseToken, out _);
        }
        finally
        {
            _executing.TryRemove(run.LeaseToken, out _);
            if (!queued)
            {
                _slots.Release();
            }
        }
    }

    private async Task RecordOutcomesAsync(WorkerHealthReporter health, CancellationToken stoppingToken)
    {
        var reader = _outcomes.Reader;
        var batch = new List<RunOutcome>(_options.BatchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Outcomes of one claim finish within milliseconds of each other: a short pause records them together.
            await Task.Delay(RecordCoalesce, _time, CancellationToken.None);
            while (batch.Count < _options.BatchSize && reader.TryRead(out var outcome))
            {
                batch.Add(outcome);
            }

            var stoppingSince = (long?)null;
            try
            {
                // While the worker runs, keep trying: the heartbeat keeps the leases, the held slots pause claiming,
                // and giving up would make every model call of the batch run (and be paid for) again. Once stopping,
                // try for DrainTimeout, then leave the runs to lease expiry.
                var recorded = await _recordRetry.ExecuteAsync(
                    async _ =>
                    {
                        try
                        {
                            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
                            return await _store.CompleteAsync(batch, timeout.Token);
                        }
                        catch (Exception e) when (stoppingToken.IsCancellationRequested && (DatabaseUnavailable.IsOutage(e) || e is OperationCanceledException))
                        {
                            stoppingSince ??= _time.GetTimestamp();
                            if (_time.GetElapsedTime(stoppingSince.Value) > DrainTimeout)
                            {
                                Abandon(batch, e);
                                return null;
                            }

                            throw;
                        }
                    },
                    CancellationToken.None);
                if (recorded is not null)
                {
                    Finish(batch, recorded);
                    health.Completed();
                }
            }
            catch (Exception e)
            {
                // Not a database outage (a bug, or data the database refuses): retrying the same batch would fail
                // the same way. The runs go back to lease expiry, and MaxClaims bounds how often that repeats.
                Abandon(batch, e);
            }

            // Recorded or left to lease expiry: either way this worker is done with these runs.
            _slots.Release(batch.Count);
            batch.Clear();
        }
    }

    private void Abandon(List<RunOutcome> batch, Exception exception)
    {
        LogRecordAbandoned(exception, batch.Count);
        foreach (var outcome in batch)
        {
            _leased.TryRemove(outcome.Run.LeaseToken, out _);
        }
    }

    private void Finish(List<RunOutcome> batch, HashSet<Guid> recordedLeases)
    {
        var now = _time.GetUtcNow();
        foreach (var outcome in batch)
        {
            var run = outcome.Run;
            _leased.TryRemove(run.LeaseToken, out _);
            if (!recordedLeases.Contains(run.LeaseToken))
            {
                LogLeaseLost(run.RunId);
                continue;
            }

            var trigger = new KeyValuePair<string, object?>("radiant.trigger", DbEnum.Name(run.Trigger));
            (outcome.Status == ScheduleRunStatus.Completed ? _metrics.RunsCompleted : _metrics.RunsFailed).Add(1, trigger);
            _metrics.Duration.Record(Math.Max(0, (now - run.StartedAt).TotalSeconds), trigger);
        }
    }

    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var leased = _leased.Values.ToList();
            try
            {
                foreach (var chunk in leased.Chunk(Math.Max(1, _options.BatchSize)))
                {
                    await _store.HeartbeatAsync(chunk, _options.LeaseDuration, stoppingToken);
                }
            }
            catch (Exception e) when (IsDatabaseFailure(e, stoppingToken))
            {
                LogHeartbeatFailed(e);
            }
        }
    }

    private async Task HandBackAsync()
    {
        var runs = new List<ClaimedRun>();
        while (_handBack.TryDequeue(out var run))
        {
            runs.Add(run);
        }

        if (runs.Count == 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(DrainTimeout, _time);
            var released = await _store.ReleaseAsync(runs, timeout.Token);
            LogHandedBack(released);
        }
        catch (Exception e) when (DatabaseUnavailable.IsOutage(e) || e is OperationCanceledException)
        {
            LogHandBackFailed(e, runs.Count);
        }
    }

    private async Task WaitForWakeAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, stoppingToken);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The timeout: time to look again.
        }
    }

    private void OnClaimRetry(Exception? e, TimeSpan delay)
    {
        _claimsHealth?.Failed(e);
        LogClaimFailed(e, delay);
    }

    private void OnRecordRetry(Exception? e, TimeSpan delay)
    {
        _recordingHealth?.Failed(e);
        LogRecordFailed(e, delay);
    }

    private static bool IsDatabaseFailure(Exception e, CancellationToken stoppingToken) =>
        !stoppingToken.IsCancellationRequested && IsDatabaseFailure(e);

    private static bool IsDatabaseFailure(Exception e) => DatabaseUnavailable.IsOutage(e) || e is InvalidOperationException;

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler worker {WorkerId} started ({MaxConcurrentRuns} concurrent runs)")]
    private partial void LogStarted(string workerId, int maxConcurrentRuns);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler worker {WorkerId} stopped")]
    private partial void LogStopped(string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming scheduled runs failed; retrying in {Delay}")]
    private partial void LogClaimFailed(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording run outcomes failed; retrying in {Delay}")]
    private partial void LogRecordFailed(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up recording {Count} run outcome(s); their leases expire and the runs execute again elsewhere")]
    private partial void LogRecordAbandoned(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was not recorded by this worker: its lease passed to another worker, or its schedule was deleted")]
    private partial void LogLeaseLost(Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing run leases failed; retrying at the next heartbeat")]
    private partial void LogHeartbeatFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed {Count} unfinished run(s) back for another worker")]
    private partial void LogHandedBack(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not hand {Count} run(s) back; they run again when their leases expire")]
    private partial void LogHandBackFailed(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error executing run {RunId}; it runs again when its lease expires")]
    private partial void LogUnexpected(Exception exception, Guid runId);
}
