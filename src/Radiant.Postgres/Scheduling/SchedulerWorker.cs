using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
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

    public SchedulerWorker(
        SchedulerStore store,
        SchedulerMetrics metrics,
        PromptExecutor executor,
        RadiantListener listener,
        RadiantDb db,
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
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_options.WorkerId, _options.MaxConcurrentRuns);
        var heartbeat = HeartbeatAsync(stoppingToken);
        var recorder = RecordOutcomesAsync(stoppingToken);
        try
        {
            await ClaimLoopAsync(stoppingToken);
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

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        var failureDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            await _slots.WaitAsync(stoppingToken);
            var wanted = 1;
            while (wanted < _options.BatchSize && _slots.Wait(0, CancellationToken.None))
            {
                wanted++;
            }

            var claimed = new List<ClaimedRun>(wanted);
            Exception? failure = null;
            try
            {
                // Waiting runs first (recoveries and run-now requests are already late), then due occurrences.
                claimed.AddRange(await _store.ClaimWaitingRunsAsync(wanted, _options.WorkerId, _options.LeaseDuration, stoppingToken));
                if (claimed.Count < wanted)
                {
                    claimed.AddRange(await _store.ClaimDueOccurrencesAsync(wanted - claimed.Count, _options.WorkerId, _options.LeaseDuration, stoppingToken));
                }

                failureDelay = TimeSpan.FromSeconds(1);
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

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (failure is not null)
            {
                LogClaimFailed(failure, failureDelay);
                await WaitForWakeAsync(failureDelay, stoppingToken);
                failureDelay = TimeSpan.FromTicks(Math.Min(failureDelay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                continue;
            }

            if (claimed.Count == wanted)
            {
                continue; // Possibly more due: claim again as soon as a slot is free.
            }

            await WaitForWakeAsync(await UntilNextDueAsync(claimed.Count > 0, stoppingToken), stoppingToken);
        }
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
            LogClaimFailed(e, _options.PollInterval);
            return _options.PollInterval;
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

    private async Task RecordOutcomesAsync(CancellationToken stoppingToken)
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

            var delay = TimeSpan.FromMilliseconds(200);
            var stoppingSince = (long?)null;
            while (true)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
                    var recorded = await _store.CompleteAsync(batch, timeout.Token);
                    Finish(batch, recorded);
                    break;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
                {
                    // While the worker runs, keep trying: the heartbeat keeps the leases, the held slots pause claiming,
                    // and giving up would make every model call of the batch run (and be paid for) again. Once stopping,
                    // try for DrainTimeout, then leave the runs to lease expiry.
                    if (stoppingToken.IsCancellationRequested)
                    {
                        stoppingSince ??= _time.GetTimestamp();
                        if (_time.GetElapsedTime(stoppingSince.Value) > DrainTimeout)
                        {
                            Abandon(batch, e);
                            break;
                        }
                    }

                    LogRecordFailed(e, delay);
                    await Task.Delay(delay, _time, CancellationToken.None);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
                catch (Exception e)
                {
                    // Not a database outage (a bug, or data the database refuses): retrying the same batch would fail
                    // the same way. The runs go back to lease expiry, and MaxClaims bounds how often that repeats.
                    Abandon(batch, e);
                    break;
                }
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
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
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

    private static bool IsDatabaseFailure(Exception e, CancellationToken stoppingToken) =>
        !stoppingToken.IsCancellationRequested && e is NpgsqlException or TimeoutException or InvalidOperationException;

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
    private partial void LogClaimFailed(Exception exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording run outcomes failed; retrying in {Delay}")]
    private partial void LogRecordFailed(Exception exception, TimeSpan delay);

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
