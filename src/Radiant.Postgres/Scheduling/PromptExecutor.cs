using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Radiant.Pricing;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// Executes one claimed run: resolves the chat client of the model's provider (keyed by provider id), sends the
/// prompt with transient failures retried by Polly, prices the usage the provider reported with
/// <see cref="IPricingEngine"/>, and delivers the output. Never throws for a failed run: the failure is the outcome.
/// </summary>
internal sealed partial class PromptExecutor
{
    private static readonly TimeSpan PricingRefreshTimeout = TimeSpan.FromSeconds(30);

    private readonly IServiceProvider _services;
    private readonly IPricingEngine _pricing;
    private readonly OutputDelivery _delivery;
    private readonly SchedulerWorkerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PromptExecutor> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly Lock _refreshLock = new();
    private readonly ConcurrentDictionary<(Guid TenantId, string Model), long> _unpriced = new();
    private Task<PricingSnapshot>? _refresh;
    private Task<PricingSnapshot>? _queuedRefresh;
    private long _refreshStartedAt;

    public PromptExecutor(
        IServiceProvider services,
        IPricingEngine pricing,
        OutputDelivery delivery,
        IOptions<SchedulerWorkerOptions> options,
        TimeProvider time,
        ILogger<PromptExecutor> logger)
    {
        _services = services;
        _pricing = pricing;
        _delivery = delivery;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && _options.IsTransientFailure(e)),
                OnRetry = args =>
                {
                    LogRetry(args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.AddTimeout(_options.AttemptTimeout).Build();
    }

    public async Task<RunOutcome> ExecuteAsync(ClaimedRun run, CancellationToken stoppingToken)
    {
        if (run.Claims > _options.MaxClaims)
        {
            return await DeliverAsync(
                Failed(run, $"Abandoned: claimed {run.Claims} times and its worker stopped each time before finishing it.", 0, 0), stoppingToken);
        }

        var client = _services.GetKeyedService<IChatClient>(run.ProviderId) ?? _services.GetService<IChatClient>();
        if (client is null)
        {
            return await DeliverAsync(
                Failed(run, $"No chat client is registered for provider '{run.ProviderId}' (model '{run.Model}'): register one with services.AddKeyedChatClient(\"{run.ProviderId}\", ...).", 0, 0),
                stoppingToken);
        }

        var attempts = new AttemptCounter();
        var started = _time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                static async (state, ct) =>
                {
                    state.Counter.Count++;
                    return await state.Client.GetResponseAsync(state.Messages, state.Options, ct).ConfigureAwait(false);
                },
                (Counter: attempts, Client: client, Messages: (IEnumerable<ChatMessage>)[new ChatMessage(ChatRole.User, run.Prompt)], Options: ChatOptionsFor(run)),
                stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            var transient = _options.IsTransientFailure(e);
            LogFailed(e, run.RunId, attempts.Count, transient);
            var reason = transient ? $"Gave up after {attempts.Count} attempt(s): " : string.Empty;
            return await DeliverAsync(Failed(run, reason + RunErrors.Describe(e), Elapsed(started), attempts.Count), stoppingToken);
        }

        var usage = response.Usage;
        var inputTokens = ClampTokens(usage?.InputTokenCount);
        var outputTokens = ClampTokens(usage?.OutputTokenCount);
        decimal? cost = null;
        if (inputTokens is not null || outputTokens is not null)
        {
            cost = await PriceAsync(run, inputTokens ?? 0, outputTokens ?? 0, stoppingToken);
        }
        else
        {
            LogNoUsage(run.ProviderId, run.Model);
        }

        var outcome = new RunOutcome(
            run, ScheduleRunStatus.Completed, response.Text, inputTokens, outputTokens, cost, Elapsed(started), attempts.Count, null,
            DeliveryStatus.NotRequired, 0, null);
        return await DeliverAsync(outcome, stoppingToken);
    }

    /// <summary>
    /// Prices the usage. A miss means the snapshot predates the tenant (a tenant that signs up and runs a prompt at
    /// once can beat the pushed reload): the snapshot is refreshed once — shared by all runs that miss meanwhile — and
    /// the quote tried again. Only a tenant or model the database does not price either leaves the cost empty, and
    /// so does a stop: the model has answered, so the run is recorded rather than handed back and paid for again.
    /// </summary>
    private async Task<decimal?> PriceAsync(ClaimedRun run, int inputTokens, int outputTokens, CancellationToken stoppingToken)
    {
        if (_pricing.TryQuote(run.TenantId, run.Model, inputTokens, outputTokens, out var quote, run.StartedAt))
        {
            return quote.Charge;
        }

        // A pair a fresh reload did not price either is not reloaded for again until the snapshot changes.
        var pair = (run.TenantId, run.Model);
        if (_unpriced.TryGetValue(pair, out var missedIn) && missedIn == _pricing.Current.Version)
        {
            LogUnpriced(run.TenantId, run.Model);
            return null;
        }

        try
        {
            var snapshot = await RefreshStartedAfterAsync(_time.GetTimestamp()).WaitAsync(PricingRefreshTimeout, _time, stoppingToken);
            if (snapshot.TryQuote(run.TenantId, run.Model, inputTokens, outputTokens, run.StartedAt, out quote))
            {
                return quote.Charge;
            }

            _unpriced[pair] = snapshot.Version;
        }
        catch (Exception e) when (e is not OperationCanceledException || stoppingToken.IsCancellationRequested)
        {
            LogRefreshFailed(e, run.TenantId);
        }

        LogUnpriced(run.TenantId, run.Model);
        return null;
    }

    /// <summary>
    /// A snapshot reload that starts no earlier than <paramref name="missedAt"/>. One reload runs at a time; misses
    /// while it runs join the single reload queued behind it (one that began before a miss may not see its tenant).
    /// </summary>
    private Task<PricingSnapshot> RefreshStartedAfterAsync(long missedAt)
    {
        lock (_refreshLock)
        {
            if (_queuedRefresh is { } queued)
            {
                return queued;
            }

            if (_refresh is { } current && _refreshStartedAt >= missedAt)
            {
                return current;
            }

            if (_refresh is { IsCompleted: false } running)
            {
                _queuedRefresh = Observed(RefreshAfterAsync(running));
                return _queuedRefresh;
            }

            return StartRefreshLocked();
        }
    }

    private async Task<PricingSnapshot> RefreshAfterAsync(Task previous)
    {
        // Its outcome is its own waiters' business; this reload runs either way.
        await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
            .ConfigureAwait(false);
        Task<PricingSnapshot> refresh;
        lock (_refreshLock)
        {
            _queuedRefresh = null;
            refresh = StartRefreshLocked();
        }

        return await refresh.ConfigureAwait(false);
    }

    private Task<PricingSnapshot> StartRefreshLocked()
    {
        // Stamped before the reload can start (Task.Run), and started outside the lock.
        _refreshStartedAt = _time.GetTimestamp();
        _refresh = Observed(Task.Run(() => _pricing.RefreshAsync(CancellationToken.None)));
        return _refresh;
    }

    /// <summary>Marks a failure observed even if every waiter timed out, so it is not reported as unobserved.</summary>
    private static Task<T> Observed<T>(Task<T> task)
    {
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>
    /// Delivers the outcome to its webhook or email. A stop during delivery records the run with its delivery failed
    /// (the output stays on the run) instead of handing it back: executing it again would call the model again.
    /// </summary>
    private async Task<RunOutcome> DeliverAsync(RunOutcome outcome, CancellationToken stoppingToken)
    {
        if (outcome.Run.Destination == OutputDestination.Storage)
        {
            return outcome;
        }

        try
        {
            var result = await _delivery.DeliverAsync(outcome, stoppingToken);
            return outcome with { Delivery = result.Status, DeliveryAttempts = result.Attempts, DeliveryError = result.Error };
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return outcome with { Delivery = DeliveryStatus.Failed, DeliveryError = "Not delivered: the worker stopped during delivery." };
        }
    }

    private static ChatOptions ChatOptionsFor(ClaimedRun run) => new()
    {
        ModelId = run.Model,
        // Lets a host's chat client (or its middleware) attribute usage without a lookup.
        AdditionalProperties = new AdditionalPropertiesDictionary
        {
            ["radiant.tenant_id"] = run.TenantId,
            ["radiant.user_id"] = run.UserId,
            ["radiant.schedule_id"] = run.ScheduleId,
            ["radiant.run_id"] = run.RunId,
        },
    };

    private int Elapsed(long started) => (int)Math.Min(int.MaxValue, _time.GetElapsedTime(started).TotalMilliseconds);

    private static RunOutcome Failed(ClaimedRun run, string error, int latencyMs, int attempts) =>
        new(run, ScheduleRunStatus.Failed, null, null, null, null, latencyMs, attempts, error, DeliveryStatus.NotRequired, 0, null);

    private static int? ClampTokens(long? count) => count is { } c ? (int)Math.Clamp(c, 0, int.MaxValue) : null;

    private sealed class AttemptCounter
    {
        public int Count { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model call failed transiently; attempt {Attempt} follows in {Delay}")]
    private partial void LogRetry(Exception? exception, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled run {RunId} failed after {Attempts} attempt(s) (transient: {Transient})")]
    private partial void LogFailed(Exception exception, Guid runId, int attempts, bool transient);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading prices for tenant {TenantId} failed, timed out or was cut short by a stop")]
    private partial void LogRefreshFailed(Exception exception, Guid tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No price for tenant {TenantId} and model {Model}; the run's cost is left empty")]
    private partial void LogUnpriced(Guid tenantId, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The chat client of provider {Provider} reported no usage for model {Model}; tokens and cost are left empty")]
    private partial void LogNoUsage(string provider, string model);
}
