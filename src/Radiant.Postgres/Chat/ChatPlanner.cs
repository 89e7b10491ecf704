using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Radiant.Chat;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Pricing;
using Radiant.Routing;
using Radiant.Tenancy;

namespace Radiant.Postgres.Chat;

/// <summary>
/// Resolves a message before anything is reserved or sent: the system prompts (persona with focus mode, then the
/// domain mode's override, then the conversation's own), the temperature, and the models to try — the request's,
/// the user's default (manual or favourites selection), or the router's choice followed by its ranked fallbacks.
/// </summary>
internal sealed class ChatPlanner
{
    private readonly IModelPreferenceService _preferences;
    private readonly IPersonaService _personas;
    private readonly IModelRouter _router;
    private readonly ITokenCounter _tokens;
    private readonly IPricingEngine _pricing;
    private readonly ModelRoutingOptions _routing;
    private readonly TimeProvider _time;

    public ChatPlanner(
        IModelPreferenceService preferences, IPersonaService personas, IModelRouter router, ITokenCounter tokens, IPricingEngine pricing,
        IOptions<ModelRoutingOptions> routing, TimeProvider time)
    {
        _preferences = preferences;
        _personas = personas;
        _router = router;
        _tokens = tokens;
        _pricing = pricing;
        _routing = routing.Value;
        _time = time;
    }

    public ITokenCounter Tokens => _tokens;

    public async Task<ChatPlan> PlanAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var context = await _preferences.GetSelectionContextAsync(caller, cancellationToken);
        var mode = request.DomainMode ?? DomainMode.General;
        var modeConfig = context.DomainModeFor(mode);
        if (!modeConfig.Enabled)
        {
            throw new RadiantValidationException("domainMode", $"The domain mode '{ModeName(mode)}' is disabled for this tenant.");
        }

        var messages = new List<ChatMessage>(request.Messages.Count + 2);
        if (request.PersonaId is { } personaId)
        {
            messages.Add(new ChatMessage(ChatRole.System, await _personas.BuildPromptAsync(caller, personaId, request.FocusMode, cancellationToken)));
        }

        if (modeConfig.SystemPromptOverride is { } modePrompt)
        {
            messages.Add(new ChatMessage(ChatRole.System, modePrompt));
        }

        foreach (var message in request.Messages)
        {
            messages.Add(new ChatMessage(
                message.Role switch { ChatMessageRole.Assistant => ChatRole.Assistant, ChatMessageRole.System => ChatRole.System, _ => ChatRole.User },
                message.Content));
        }

        var texts = messages.Select(m => m.Text).ToList();
        var preferences = context.Preferences;
        var requestId = request.RequestId ?? Guid.CreateVersion7().ToString("N");
        var (candidates, exclusions) = ExplicitModel(request, preferences) is { } explicitModel
            ? ([Explicit(context, explicitModel, request, texts)], [])
            : await RouteAsync(caller, request, context, mode, modeConfig, texts, cancellationToken);
        return new ChatPlan(
            requestId, messages, texts, (float)modeConfig.Temperature, candidates, exclusions, preferences.MaxCostPerMessage, ModeName(mode),
            request.PersonaId, request.TeamId);
    }

    /// <summary>
    /// The plan of a call made through the middleware: the caller's messages and options as they are (no prompts
    /// added, no routing); the model is the options' <c>ModelId</c>, which must be in the registry and priced for the
    /// tenant. The user's cost limit and the team still apply.
    /// </summary>
    public async Task<ChatPlan> PlanCallAsync(RadiantChatContext context, IEnumerable<ChatMessage> messages, ChatOptions? options, IChatClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate();
        var modelId = options?.ModelId;
        if (string.IsNullOrWhiteSpace(modelId))
        {
            throw new RadiantValidationException("modelId", "A call through Radiant must name its model (ChatOptions.ModelId): Radiant prices and records it per model.");
        }

        var catalog = _router.Catalog;
        if (!catalog.TryGetModel(modelId, out var model) || !catalog.IsEnabled(context.Caller.TenantId, modelId))
        {
            throw new RadiantValidationException("modelId", $"'{modelId}' is not a registry model enabled for this tenant.");
        }

        if (!_pricing.Current.TryQuote(context.Caller.TenantId, model.Id, 0, 0, _time.GetUtcNow(), out _))
        {
            await _pricing.RefreshAsync(cancellationToken);
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var preferences = await _preferences.GetAsync(context.Caller, cancellationToken);
        var reply = Math.Min(options!.MaxOutputTokens ?? _routing.DefaultReplyTokens, Math.Max(1, model.MaxOutputTokens));
        var choice = new ModelChoice(model.Id, model.ProviderId, ModelChoiceRule.Requested, "The call named the model.");
        return new ChatPlan(
            context.RequestId ?? Guid.CreateVersion7().ToString("N"), list, [.. list.Select(m => m.Text)], options.Temperature ?? (float)DomainModeConfig.DefaultTemperature,
            [new ChatCandidate(model.Id, model.ProviderId, choice, reply)], [], preferences.MaxCostPerMessage, ModeName(context.DomainMode ?? DomainMode.General),
            context.PersonaId, context.TeamId)
        {
            Client = client,
            Options = RadiantChatClientExtensions.WithoutRadiant(options),
        };
    }

    /// <summary>The JSON name of a domain mode, as stored.</summary>
    public static string ModeName(DomainMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>The model the request or the user's selection names, with its rule; null to route.</summary>
    private static (string ModelId, ModelChoiceRule Rule)? ExplicitModel(RadiantChatRequest request, ModelPreferences preferences)
    {
        if (!request.IsAuto)
        {
            return (request.ModelId!, ModelChoiceRule.Requested);
        }

        return preferences.SelectionMode != ModelSelectionMode.Auto && preferences.DefaultModelId is { } defaultModel
            ? (defaultModel, ModelChoiceRule.UserDefault)
            : null;
    }

    private ChatCandidate Explicit(ModelSelectionContext context, (string ModelId, ModelChoiceRule Rule) choice, RadiantChatRequest request, IReadOnlyList<string> texts)
    {
        var field = choice.Rule == ModelChoiceRule.Requested ? "modelId" : "defaultModelId";
        var model = context.FindModel(choice.ModelId)
            ?? throw new RadiantValidationException(field, $"'{choice.ModelId}' is not a model you may pick (unknown, disabled for this tenant, or not offered).");
        var input = _tokens.CountPrompt(model.Id, texts).Tokens;
        var room = model.ContextWindow - input;
        if (room < 1)
        {
            throw new RadiantValidationException(
                "messages", $"The conversation's {input:N0} tokens leave no room for a reply in {model.Id}'s context window of {model.ContextWindow:N0} tokens.");
        }

        var reply = Math.Min(Math.Min(request.MaxOutputTokens ?? _routing.DefaultReplyTokens, Math.Max(1, model.MaxOutputTokens)), room);
        var reason = choice.Rule == ModelChoiceRule.Requested ? "The request named the model." : "Your default model (manual selection).";
        return new ChatCandidate(model.Id, model.ProviderId, new ModelChoice(model.Id, model.ProviderId, choice.Rule, reason), reply);
    }

    private async Task<(IReadOnlyList<ChatCandidate>, IReadOnlyList<RoutingExclusion>)> RouteAsync(
        RadiantCaller caller, RadiantChatRequest request, ModelSelectionContext context, DomainMode mode, DomainModeConfig modeConfig,
        IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var preferences = context.Preferences;
        var routing = new RoutingRequest(caller.TenantId, _tokens.CountPrompt(null, texts).Tokens)
        {
            DomainMode = ModeName(mode),
            Attachments = request.AttachmentFlags(),
            MaxOutputTokens = request.MaxOutputTokens,
            UserModeOverrideModelId = preferences.DomainModeModelOverrides.TryGetValue(mode, out var modeOverride) ? modeOverride : null,
            ModeDefaultModelId = modeConfig.DefaultModel,
            MaxCostPerMessage = preferences.MaxCostPerMessage,
            PreferCostOptimization = preferences.PreferCostOptimization,
        };

        RoutingDecision decision;
        try
        {
            decision = _router.Route(routing);
        }
        catch (PricingException)
        {
            // A tenant created a moment ago can beat the pushed reload: refresh once and route again.
            await _pricing.RefreshAsync(cancellationToken);
            decision = _router.Route(routing);
        }

        var candidates = new List<ChatCandidate>(1 + decision.Fallbacks.Count);
        var rule = decision.Rule switch
        {
            RoutingRule.UserModeOverride => ModelChoiceRule.UserModeOverride,
            RoutingRule.ModeDefault => ModelChoiceRule.ModeDefault,
            RoutingRule.CheapestFit => ModelChoiceRule.CheapestFit,
            _ => ModelChoiceRule.BestFit,
        };
        var reason = decision.ToString();
        foreach (var candidate in new[] { decision.Chosen }.Concat(decision.Fallbacks))
        {
            // The router knows the tenant's switches; the user may pick only what Think Tank offers them.
            if (context.FindModel(candidate.ModelId) is null)
            {
                continue;
            }

            var choice = candidates.Count == 0
                ? new ModelChoice(candidate.ModelId, candidate.ProviderId, rule, reason)
                : new ModelChoice(candidate.ModelId, candidate.ProviderId, ModelChoiceRule.Fallback, $"Fallback #{candidates.Count} of the router's ranking, after a transient failure of the model before it.");
            candidates.Add(new ChatCandidate(candidate.ModelId, candidate.ProviderId, choice, candidate.ReplyTokens));
        }

        if (candidates.Count == 0)
        {
            throw new RadiantValidationException("modelId", "The router's choices are not models you may pick; name a model instead.");
        }

        return (candidates, decision.Exclusions);
    }
}
