using System.Text.Json.Serialization;
using Radiant.Routing;

namespace Radiant.Chat;

/// <summary>How the model of a message was chosen.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelChoiceRule>))]
public enum ModelChoiceRule
{
    /// <summary>The request named the model.</summary>
    [JsonStringEnumMemberName("requested")]
    Requested,

    /// <summary>The user's default model (manual selection, no model in the request).</summary>
    [JsonStringEnumMemberName("user_default")]
    UserDefault,

    /// <summary>The user's own model for the domain mode (router rule 1).</summary>
    [JsonStringEnumMemberName("user_mode_override")]
    UserModeOverride,

    /// <summary>The domain mode's default model (router rule 2).</summary>
    [JsonStringEnumMemberName("mode_default")]
    ModeDefault,

    /// <summary>The best model that fits (router rule 3).</summary>
    [JsonStringEnumMemberName("best_fit")]
    BestFit,

    /// <summary>The cheapest model that fits, for a user who prefers cost optimisation (router rule 3).</summary>
    [JsonStringEnumMemberName("cheapest_fit")]
    CheapestFit,

    /// <summary>The next candidate the router ranked, after the one before failed transiently without output.</summary>
    [JsonStringEnumMemberName("fallback")]
    Fallback,
}

/// <summary>The model that answers (or would answer) a message, and why.</summary>
/// <param name="ModelId">The registry model id.</param>
/// <param name="ProviderId">Its provider.</param>
/// <param name="Rule">The rule that chose it.</param>
/// <param name="Reason">The choice in words, for people (the router's explanation when it chose).</param>
public sealed record ModelChoice(string ModelId, string ProviderId, ModelChoiceRule Rule, string Reason);

/// <summary>What a message consumed and what it costs the user.</summary>
/// <param name="InputTokens">Prompt tokens, as the provider reported them.</param>
/// <param name="OutputTokens">Reply tokens, as the provider reported them (or counted, for a stream cut short).</param>
/// <param name="CachedInputTokens">Of <paramref name="InputTokens"/>, those the provider served from its cache.</param>
/// <param name="Charge">What the user pays, in dollars: the pricing engine's quote (micro-dollar rounding, minimum charge).</param>
/// <param name="PricingVersion">The pricing snapshot version the charge came from.</param>
public sealed record ChatCharge(int InputTokens, int OutputTokens, int CachedInputTokens, decimal Charge, long PricingVersion);

/// <summary>A message answered through Radiant.</summary>
/// <param name="RequestId">The request id (the caller's, or the one Radiant made).</param>
/// <param name="Text">The reply.</param>
/// <param name="Model">The model that answered, and why.</param>
/// <param name="Charge">What it consumed and costs.</param>
/// <param name="Attempts">Provider calls made (more than one after a fallback).</param>
public sealed record RadiantChatResponse(string RequestId, string Text, ModelChoice Model, ChatCharge Charge, int Attempts);

/// <summary>What a streamed update carries.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RadiantChatUpdateKind>))]
public enum RadiantChatUpdateKind
{
    /// <summary>The model was chosen and the budget reserved; text follows.</summary>
    [JsonStringEnumMemberName("started")]
    Started,

    /// <summary>A piece of the reply.</summary>
    [JsonStringEnumMemberName("delta")]
    Delta,

    /// <summary>The reply is complete, charged and recorded.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,
}

/// <summary>One update of a streamed reply: <see cref="RadiantChatUpdateKind.Started"/>, any number of deltas, then <see cref="RadiantChatUpdateKind.Completed"/>.</summary>
/// <param name="Kind">What this update carries.</param>
/// <param name="RequestId">The request id.</param>
/// <param name="Text">The delta's text (deltas only).</param>
/// <param name="Model">The model, with <see cref="RadiantChatUpdateKind.Started"/> (again after a fallback) and <see cref="RadiantChatUpdateKind.Completed"/>.</param>
/// <param name="Charge">The charge, with <see cref="RadiantChatUpdateKind.Completed"/>.</param>
public sealed record RadiantChatUpdate(RadiantChatUpdateKind Kind, string RequestId, string? Text = null, ModelChoice? Model = null, ChatCharge? Charge = null);

/// <summary>What a message would cost, resolved as a send would resolve it but without calling the provider.</summary>
/// <param name="InputTokens">The prompt's tokens (system prompts included).</param>
/// <param name="TokensExact">True when counted with the model's own tokenizer, false for the documented estimate.</param>
/// <param name="Model">The model that would answer, and why.</param>
/// <param name="ReplyTokens">The reply budget a send would ask for: the request's (or the default), capped by the model and the user's cost limit. On a team, the send may shrink it further to what the pool has left.</param>
/// <param name="MinimumCharge">The charge with the prompt and no reply.</param>
/// <param name="MaximumCharge">The charge with the prompt and the whole reply budget (what a send reserves).</param>
/// <param name="Exclusions">The models the router left out, each with its reason (empty when the request named the model).</param>
public sealed record RadiantChatEstimate(
    int InputTokens,
    bool TokensExact,
    ModelChoice Model,
    int ReplyTokens,
    decimal MinimumCharge,
    decimal MaximumCharge,
    IReadOnlyList<RoutingExclusion> Exclusions);
