using System.Globalization;
using System.Text.Json.Serialization;
using Radiant.Pricing;

namespace Radiant.Routing;

/// <summary>
/// Why a model was not chosen. A model is checked in this order and excluded for the first reason that applies, so
/// a model over the cost limit did fit the context, and an unhealthy one fitted everything else.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<RoutingExclusionReason>))]
public enum RoutingExclusionReason
{
    /// <summary>A user's override or a mode's default names a model the catalogue does not have.</summary>
    [JsonStringEnumMemberName("unknown_model")]
    UnknownModel,

    /// <summary>Not enabled for the tenant (its admins switched it off, or it is not offered by default).</summary>
    [JsonStringEnumMemberName("disabled")]
    Disabled,

    /// <summary>The pricing snapshot has no price for it, so its charge cannot be estimated.</summary>
    [JsonStringEnumMemberName("not_priced")]
    NotPriced,

    /// <summary>It writes no reply (its maximum output is 0 tokens: an embedding model).</summary>
    [JsonStringEnumMemberName("no_reply")]
    NoReply,

    /// <summary>It lacks a capability the message needs (<see cref="RoutingExclusion.MissingCapabilities"/>).</summary>
    [JsonStringEnumMemberName("missing_capability")]
    MissingCapability,

    /// <summary>The prompt plus the reply it may write do not fit its context window.</summary>
    [JsonStringEnumMemberName("context_window_too_small")]
    ContextWindowTooSmall,

    /// <summary>Its estimated charge is over the user's maximum cost per message.</summary>
    [JsonStringEnumMemberName("over_cost_limit")]
    OverCostLimit,

    /// <summary>It failed most of its recent calls and is skipped until it recovers (<see cref="IModelHealth"/>).</summary>
    [JsonStringEnumMemberName("unhealthy")]
    Unhealthy,
}

/// <summary>
/// A model the router did not choose, with the reason and the figures behind it. The figures that do not apply to
/// the <see cref="Reason"/> are null; <see cref="Message"/> says it in a sentence.
/// </summary>
public readonly record struct RoutingExclusion
{
    // Two integers hold the figures of every reason, so a decision's exclusions are one flat array.
    private readonly long _a;
    private readonly long _b;

    private RoutingExclusion(string modelId, RoutingExclusionReason reason, long a, long b)
    {
        ModelId = modelId;
        Reason = reason;
        _a = a;
        _b = b;
    }

    /// <summary>The model.</summary>
    public string ModelId { get; }

    /// <summary>Why it was not chosen.</summary>
    public RoutingExclusionReason Reason { get; }

    /// <summary>For <see cref="RoutingExclusionReason.MissingCapability"/>: what the model lacks.</summary>
    public RoutingCapabilities? MissingCapabilities => Reason == RoutingExclusionReason.MissingCapability ? (RoutingCapabilities)_a : null;

    /// <summary>For <see cref="RoutingExclusionReason.ContextWindowTooSmall"/>: the prompt's tokens.</summary>
    public int? PromptTokens => Reason == RoutingExclusionReason.ContextWindowTooSmall ? (int)(_a >> 32) : null;

    /// <summary>For <see cref="RoutingExclusionReason.ContextWindowTooSmall"/>: the reply budget on this model.</summary>
    public int? ReplyTokens => Reason == RoutingExclusionReason.ContextWindowTooSmall ? (int)(uint)_a : null;

    /// <summary>For <see cref="RoutingExclusionReason.ContextWindowTooSmall"/>: the model's context window.</summary>
    public int? ContextWindow => Reason == RoutingExclusionReason.ContextWindowTooSmall ? (int)_b : null;

    /// <summary>For <see cref="RoutingExclusionReason.OverCostLimit"/>: the estimated charge on this model, in dollars.</summary>
    public decimal? EstimatedCharge => Reason == RoutingExclusionReason.OverCostLimit ? PricingSnapshot.MicrosToDollars(_a) : null;

    /// <summary>For <see cref="RoutingExclusionReason.OverCostLimit"/>: the user's maximum cost per message, in whole micro-dollars as compared.</summary>
    public decimal? CostLimit => Reason == RoutingExclusionReason.OverCostLimit ? PricingSnapshot.MicrosToDollars(_b) : null;

    /// <summary>For <see cref="RoutingExclusionReason.Unhealthy"/>: the recent calls considered.</summary>
    public int? RecentCalls => Reason == RoutingExclusionReason.Unhealthy ? (int)(uint)_a : null;

    /// <summary>For <see cref="RoutingExclusionReason.Unhealthy"/>: how many of them failed (errors and timeouts).</summary>
    public int? RecentFailures => Reason == RoutingExclusionReason.Unhealthy ? (int)(_a >> 32) : null;

    /// <summary>For <see cref="RoutingExclusionReason.Unhealthy"/>: when the model may be tried again.</summary>
    public DateTimeOffset? UnhealthyUntil => Reason == RoutingExclusionReason.Unhealthy ? new DateTimeOffset(_b, TimeSpan.Zero) : null;

    /// <summary>The reason in a sentence, with its figures.</summary>
    public string Message => Reason switch
    {
        RoutingExclusionReason.UnknownModel => $"'{ModelId}' is not in the model catalogue.",
        RoutingExclusionReason.Disabled => $"'{ModelId}' is not enabled for this tenant.",
        RoutingExclusionReason.NotPriced => $"'{ModelId}' has no price for this tenant.",
        RoutingExclusionReason.NoReply => $"'{ModelId}' writes no reply (its maximum output is 0 tokens).",
        RoutingExclusionReason.MissingCapability => $"'{ModelId}' lacks {RoutingRules.Describe(MissingCapabilities!.Value)}.",
        RoutingExclusionReason.ContextWindowTooSmall => string.Create(
            CultureInfo.InvariantCulture,
            $"'{ModelId}' holds {ContextWindow:N0} tokens; the prompt and its reply need {(long)PromptTokens!.Value + ReplyTokens!.Value:N0} ({PromptTokens:N0} + {ReplyTokens:N0})."),
        RoutingExclusionReason.OverCostLimit =>
            $"'{ModelId}' would cost up to {Dollars(EstimatedCharge!.Value)}, over the limit of {Dollars(CostLimit!.Value)} per message.",
        RoutingExclusionReason.Unhealthy => string.Create(
            CultureInfo.InvariantCulture,
            $"'{ModelId}' failed {RecentFailures} of its last {RecentCalls} calls; it is skipped until {UnhealthyUntil:yyyy-MM-ddTHH:mm:ssZ}."),
        _ => $"'{ModelId}' was excluded ({Reason}).",
    };

    /// <inheritdoc />
    public override string ToString() => Message;

    internal static RoutingExclusion Simple(string modelId, RoutingExclusionReason reason) => new(modelId, reason, 0, 0);

    internal static RoutingExclusion Missing(string modelId, RoutingCapabilities missing) =>
        new(modelId, RoutingExclusionReason.MissingCapability, (long)missing, 0);

    internal static RoutingExclusion Context(string modelId, int promptTokens, int replyTokens, int contextWindow) =>
        new(modelId, RoutingExclusionReason.ContextWindowTooSmall, ((long)promptTokens << 32) | (uint)replyTokens, contextWindow);

    internal static RoutingExclusion Cost(string modelId, long chargeMicros, long limitMicros) =>
        new(modelId, RoutingExclusionReason.OverCostLimit, chargeMicros, limitMicros);

    internal static RoutingExclusion Unhealthy(string modelId, in ModelHealthReport report) =>
        new(modelId, RoutingExclusionReason.Unhealthy, ((long)report.RecentFailures << 32) | (uint)report.RecentCalls, report.UnhealthyUntil?.UtcTicks ?? 0);

    /// <summary>Dollars for messages: <c>$0.01</c>, <c>$0.000123</c>, <c>$12</c>.</summary>
    internal static string Dollars(decimal amount) => "$" + amount.ToString("0.######", CultureInfo.InvariantCulture);
}
