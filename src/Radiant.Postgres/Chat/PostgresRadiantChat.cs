using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Radiant.Chat;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Postgres.Scheduling;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Routing;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Chat;

/// <summary>
/// The chat pipeline (<see cref="IRadiantChat"/>): plan (<see cref="ChatPlanner"/>), then for each candidate in turn
/// reserve, call, and settle or release with its usage record (<see cref="ChatRecorder"/>: one transaction writes the
/// record and settles the team, so a message is charged exactly when it is recorded).
/// </summary>
internal sealed partial class PostgresRadiantChat : IRadiantChat
{
    private readonly ChatPlanner _planner;
    private readonly UsageRecords _usage;
    private readonly IPricingEngine _pricing;
    private readonly IModelHealth _health;
    private readonly ITeamService _teams;
    private readonly ChatRecorder _recorder;
    private readonly IServiceProvider _services;
    private readonly RadiantChatOptions _options;
    private readonly TimeProvider _time;
    private readonly ChatMetrics _metrics;
    private readonly ILogger<PostgresRadiantChat> _logger;
    private readonly PostgresTenantDirectory _directory;

    public PostgresRadiantChat(
        ChatPlanner planner, UsageRecords usage, ChatRecorder recorder, IPricingEngine pricing, IModelHealth health, ITeamService teams,
        IServiceProvider services, IOptions<RadiantChatOptions> options, TimeProvider time, ChatMetrics metrics,
        PostgresTenantDirectory directory, ILogger<PostgresRadiantChat> logger)
    {
        _directory = directory;
        _planner = planner;
        _usage = usage;
        _pricing = pricing;
        _health = health;
        _teams = teams;
        _recorder = recorder;
        _services = services;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<RadiantChatEstimate> EstimateAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken = default)
    {
        var plan = await _planner.PlanAsync(caller, request, cancellationToken);
        var candidate = plan.Candidates[0];
        var count = _planner.Tokens.CountPrompt(candidate.ModelId, plan.Texts);
        var snapshot = _pricing.Current;
        var now = _time.GetUtcNow();
        var reply = FitToCostLimit(caller, plan, candidate, count.Tokens, snapshot, now);
        return new RadiantChatEstimate(
            count.Tokens, count.IsExact, candidate.Choice, reply,
            snapshot.Quote(caller.TenantId, candidate.ModelId, count.Tokens, 0, now).Charge,
            snapshot.Quote(caller.TenantId, candidate.ModelId, count.Tokens, reply, now).Charge,
            plan.Exclusions);
    }

    public async Task<RadiantChatResponse> GetResponseAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken = default)
    {
        var plan = await StartAsync(caller, request, cancellationToken);
        var (response, choice, charge, attempts) = await RunAsync(caller, plan, cancellationToken);
        return new RadiantChatResponse(plan.RequestId, response.Text, choice, charge, attempts);
    }

    /// <summary>The middleware's call: a plan from <see cref="ChatPlanner.PlanCallAsync"/>, metered like a message.</summary>
    internal async Task<ChatResponse> RunCallAsync(RadiantCaller caller, ChatPlan plan, bool callerRequestId, CancellationToken cancellationToken)
    {
        if (callerRequestId)
        {
            await _usage.RequireNewAsync(caller, plan.RequestId, cancellationToken);
        }

        return (await RunAsync(caller, plan, cancellationToken)).Response;
    }

    /// <summary>The middleware's streamed call: every update of the inner client, metered like a message.</summary>
    internal async IAsyncEnumerable<ChatResponseUpdate> RunStreamingCallAsync(
        RadiantCaller caller, ChatPlan plan, bool callerRequestId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (callerRequestId)
        {
            await _usage.RequireNewAsync(caller, plan.RequestId, cancellationToken);
        }

        await foreach (var (_, raw) in RunStreamingAsync(caller, plan, cancellationToken))
        {
            if (raw is not null)
            {
                yield return raw;
            }
        }
    }

    private async Task<(ChatResponse Response, ModelChoice Choice, ChatCharge Charge, int Attempts)> RunAsync(RadiantCaller caller, ChatPlan plan, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var call = await BeginAsync(caller, plan, attempt, cancellationToken);
            ChatResponse response;
            try
            {
                response = await call.Client.GetResponseAsync(plan.Messages, call.Options, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The prompt was sent: charge it (the provider did), with no reply.
                await FinishAsync(caller, plan, call, UsageOutcome.Cancelled, null, "", null, null, CancellationToken.None);
                throw;
            }
            catch (Exception e)
            {
                if (await FailAsync(caller, plan, call, e, producedOutput: false))
                {
                    continue;
                }

                throw Describe(e);
            }

            var charge = await FinishAsync(caller, plan, call, UsageOutcome.Completed, response.Usage, response.Text, null, null, CancellationToken.None);
            return (response, call.Candidate.Choice, charge, attempt);
        }
    }

    public async IAsyncEnumerable<RadiantChatUpdate> GetStreamingResponseAsync(
        RadiantCaller caller, RadiantChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var plan = await StartAsync(caller, request, cancellationToken);
        await foreach (var (update, _) in RunStreamingAsync(caller, plan, cancellationToken))
        {
            if (update is not null)
            {
                yield return update;
            }
        }
    }

    /// <summary>
    /// The streamed attempts: Radiant's updates (started, deltas with text, completed) and, beside them, every update
    /// of the provider's client as it came (for the middleware).
    /// </summary>
    private async IAsyncEnumerable<(RadiantChatUpdate? Update, ChatResponseUpdate? Raw)> RunStreamingAsync(
        RadiantCaller caller, ChatPlan plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var call = await BeginAsync(caller, plan, attempt, cancellationToken);
            yield return (new RadiantChatUpdate(RadiantChatUpdateKind.Started, plan.RequestId, Model: call.Candidate.Choice), null);

            var text = new StringBuilder();
            UsageDetails? usage = null;
            long? firstToken = null;
            Exception? failure = null;
            var recorded = false;
            var updates = call.Client.GetStreamingResponseAsync(plan.Messages, call.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    ChatResponseUpdate update;
                    try
                    {
                        if (!await updates.MoveNextAsync())
                        {
                            break;
                        }

                        update = updates.Current;
                    }
                    catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
                    {
                        failure = e;
                        break;
                    }

                    foreach (var content in update.Contents)
                    {
                        if (content is UsageContent { Details: { } details })
                        {
                            // A tool loop (UseFunctionInvocation inside the provider's client) reports each round's usage.
                            usage = usage is null ? details : Sum(usage, details);
                        }
                    }

                    RadiantChatUpdate? deltaUpdate = null;
                    if (update.Text is { Length: > 0 } delta)
                    {
                        firstToken ??= _time.GetTimestamp();
                        text.Append(delta);
                        deltaUpdate = new RadiantChatUpdate(RadiantChatUpdateKind.Delta, plan.RequestId, Text: delta);
                    }

                    yield return (deltaUpdate, update);
                }

                if (failure is null)
                {
                    recorded = true;
                    var charge = await FinishAsync(caller, plan, call, UsageOutcome.Completed, usage, text.ToString(), firstToken, null, CancellationToken.None);
                    yield return (new RadiantChatUpdate(RadiantChatUpdateKind.Completed, plan.RequestId, Model: call.Candidate.Choice, Charge: charge), null);
                    yield break;
                }
            }
            finally
            {
                await updates.DisposeAsync();
                if (!recorded && failure is null)
                {
                    // Cancelled, or the consumer stopped reading: charge what was consumed — the prompt and the reply so far.
                    await FinishAsync(caller, plan, call, UsageOutcome.Cancelled, usage, text.ToString(), firstToken, null, CancellationToken.None);
                }
            }

            if (!await FailAsync(caller, plan, call, failure!, producedOutput: text.Length > 0))
            {
                throw Describe(failure!);
            }
        }
    }

    /// <summary>Plans the message and refuses a request id already answered.</summary>
    private async Task<ChatPlan> StartAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var requestId = request.RequestId ?? Guid.CreateVersion7().ToString("N");
        // Two transactions on two connections at once: a repeated request id is refused as soon as either answers.
        var isNew = request.RequestId is null ? Task.CompletedTask : _usage.RequireNewAsync(caller, requestId, cancellationToken);
        var planning = _planner.PlanAsync(caller, request with { RequestId = requestId }, cancellationToken);
        await Task.WhenAll(isNew, planning);
        _metrics.Stage("plan", _time.GetElapsedTime(started));
        return await planning;
    }

    /// <summary>One provider call being made: the candidate, its client and options, the hold, and when it started.</summary>
    private sealed record Call(ChatCandidate Candidate, int Attempt, IChatClient Client, ChatOptions Options, int InputTokens, TeamReservation? Hold, long Started);

    /// <summary>Reserves for the attempt's candidate (shrinking the reply to the cost limit and the team) and finds its client.</summary>
    private async Task<Call> BeginAsync(RadiantCaller caller, ChatPlan plan, int attempt, CancellationToken cancellationToken)
    {
        if (attempt == 1)
        {
            // Every path (IRadiantChat, the middleware, scheduled runs) starts here: a suspended user is refused before
            // anything is reserved or sent. From the directory's memory in steady state, so no query.
            await _directory.RequireActiveAsync(caller, cancellationToken);
        }

        var candidate = plan.Candidates[attempt - 1];
        var client = plan.Client ?? _services.GetKeyedService<IChatClient>(candidate.ProviderId) ?? _services.GetService<IChatClient>()
            ?? throw new InvalidOperationException(
                $"No chat client is registered for provider '{candidate.ProviderId}' (model '{candidate.ModelId}'): register one with services.AddKeyedChatClient(\"{candidate.ProviderId}\", ...).");
        var reserving = _time.GetTimestamp();
        var input = _planner.Tokens.CountPrompt(candidate.ModelId, plan.Texts).Tokens;
        var reply = FitToCostLimit(caller, plan, candidate, input, _pricing.Current, _time.GetUtcNow());
        TeamReservation? hold = null;
        if (plan.TeamId is { } teamId)
        {
            hold = await _teams.ReserveAsync(
                caller, teamId, new TeamReservationRequest(input + (long)reply, input + 1L, _options.ReservationExpiry, candidate.ModelId), cancellationToken);
            reply = (int)Math.Min(reply, hold.TokensHeld - input);
        }

        _metrics.Stage("reserve", _time.GetElapsedTime(reserving));

        // The middleware's caller may pass tools and other options; Radiant sets the model, the budget and the temperature.
        var options = plan.Options?.Clone() ?? new ChatOptions();
        options.ModelId = candidate.ModelId;
        options.MaxOutputTokens = reply;
        options.Temperature = plan.Temperature;
        return new Call(candidate, attempt, client, options, input, hold, _time.GetTimestamp());
    }

    /// <summary>
    /// The reply budget within the user's maximum cost per message: the largest that keeps the worst case (prompt plus
    /// whole reply at this tenant's prices, rounded as charged) within the limit, found by bisection on the pricing
    /// engine's own quote. Refuses when even the prompt alone costs more.
    /// </summary>
    private static int FitToCostLimit(RadiantCaller caller, ChatPlan plan, ChatCandidate candidate, int input, PricingSnapshot snapshot, DateTimeOffset now)
    {
        if (plan.MaxCostPerMessage is not { } limit)
        {
            return candidate.ReplyTokens;
        }

        decimal ChargeOf(int reply) => snapshot.Quote(caller.TenantId, candidate.ModelId, input, reply, now).Charge;
        if (ChargeOf(candidate.ReplyTokens) <= limit)
        {
            return candidate.ReplyTokens;
        }

        if (ChargeOf(1) > limit)
        {
            throw new RadiantLimitExceededException(
                "max_cost_per_message", 0,
                $"Your maximum cost per message of ${limit} does not cover this prompt on {candidate.ModelId} (at least ${ChargeOf(1)} with a one-token reply).");
        }

        int low = 1, high = candidate.ReplyTokens; // ChargeOf(low) fits, ChargeOf(high) does not
        while (high - low > 1)
        {
            var middle = low + ((high - low) / 2);
            if (ChargeOf(middle) <= limit)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>
    /// Records the call and settles its hold (<see cref="ChatRecorder"/>), prices it from the current snapshot, feeds the
    /// router's health and the user's recent models. Returns the charge (zero for a failed call).
    /// </summary>
    private async Task<ChatCharge> FinishAsync(
        RadiantCaller caller, ChatPlan plan, Call call, UsageOutcome outcome, UsageDetails? usage, string text, long? firstToken, string? error,
        CancellationToken cancellationToken)
    {
        var model = call.Candidate.ModelId;
        var input = Clamp(usage?.InputTokenCount) ?? call.InputTokens;
        var output = Clamp(usage?.OutputTokenCount) ?? (text.Length == 0 ? 0 : _planner.Tokens.Count(model, text).Tokens);
        var cached = Math.Min(input, Clamp(usage?.CachedInputTokenCount) ?? 0);
        var snapshot = _pricing.Current;
        var charge = outcome == UsageOutcome.Failed ? 0m : snapshot.Quote(caller.TenantId, model, input, output, _time.GetUtcNow()).Charge;
        var latency = _time.GetElapsedTime(call.Started);
        _metrics.Stage("provider", latency);
        var recording = _time.GetTimestamp();
        var record = new UsageRecord(
            plan.RequestId, call.Attempt, plan.TeamId, model, call.Candidate.ProviderId, plan.DomainMode, plan.PersonaId,
            JsonName(call.Candidate.Choice.Rule), input, output, cached, charge, snapshot.Version, Milliseconds(latency),
            firstToken is { } first ? Milliseconds(_time.GetElapsedTime(call.Started, first)) : null, outcome, error);

        var recorded = await _recorder.RecordAsync(new ChatRecording(caller, record, call.Hold));
        if (!recorded)
        {
            LogDuplicate(plan.RequestId, call.Attempt);
        }

        if (outcome == UsageOutcome.Completed)
        {
            _health.Record(model, ModelCallOutcome.Success, latency);
        }

        _metrics.Stage("record", _time.GetElapsedTime(recording));
        _metrics.Messages.Add(1, new KeyValuePair<string, object?>("radiant.outcome", outcome.ToString().ToLowerInvariant()));
        return new ChatCharge(input, output, cached, recorded ? charge : 0m, snapshot.Version);
    }

    /// <summary>
    /// Records a failed call (nothing charged, the hold released) and its health; true when the pipeline should fall
    /// back to the next candidate: a transient failure before any output, with a candidate and an attempt left.
    /// </summary>
    private async Task<bool> FailAsync(RadiantCaller caller, ChatPlan plan, Call call, Exception failure, bool producedOutput)
    {
        var transient = _options.IsTransientFailure(failure);
        var latency = _time.GetElapsedTime(call.Started);
        _health.Record(call.Candidate.ModelId, failure is TimeoutException ? ModelCallOutcome.Timeout : ModelCallOutcome.Failure, latency);
        await FinishAsync(caller, plan, call, UsageOutcome.Failed, null, "", null, RunErrors.Describe(failure), CancellationToken.None);
        var fallBack = transient && !producedOutput && call.Attempt < plan.Candidates.Count && call.Attempt < _options.MaxAttempts;
        LogProviderFailed(failure, call.Candidate.ModelId, call.Attempt, transient, fallBack);
        return fallBack;
    }

    /// <summary>A provider failure as the caller sees it: the kind of failure, never the provider's address.</summary>
    private ChatProviderException Describe(Exception failure) =>
        new($"The model provider could not answer: {RunErrors.Describe(failure)}", _options.IsTransientFailure(failure), failure);

    private static string JsonName(ModelChoiceRule rule) => rule switch
    {
        ModelChoiceRule.Requested => "requested",
        ModelChoiceRule.UserDefault => "user_default",
        ModelChoiceRule.UserModeOverride => "user_mode_override",
        ModelChoiceRule.ModeDefault => "mode_default",
        ModelChoiceRule.BestFit => "best_fit",
        ModelChoiceRule.CheapestFit => "cheapest_fit",
        _ => "fallback",
    };

    private static UsageDetails Sum(UsageDetails a, UsageDetails b) => new()
    {
        InputTokenCount = Add(a.InputTokenCount, b.InputTokenCount),
        OutputTokenCount = Add(a.OutputTokenCount, b.OutputTokenCount),
        TotalTokenCount = Add(a.TotalTokenCount, b.TotalTokenCount),
        CachedInputTokenCount = Add(a.CachedInputTokenCount, b.CachedInputTokenCount),
    };

    private static long? Add(long? a, long? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    private static int? Clamp(long? tokens) => tokens is { } value ? (int)Math.Clamp(value, 0, int.MaxValue) : null;

    private static int Milliseconds(TimeSpan elapsed) => (int)Math.Clamp(elapsed.TotalMilliseconds, 0, int.MaxValue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat request {RequestId} attempt {Attempt} was already recorded; it is not charged again.")]
    private partial void LogDuplicate(string requestId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The provider failed for model {Model} (attempt {Attempt}, transient: {Transient}, falling back: {FallingBack}).")]
    private partial void LogProviderFailed(Exception exception, string model, int attempt, bool transient, bool fallingBack);

}
