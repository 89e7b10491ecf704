using System.Globalization;
using System.Text.Json.Serialization;

namespace Radiant.Routing;

/// <summary>Which rule chose the model, in the order the router tries them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RoutingRule>))]
public enum RoutingRule
{
    /// <summary>1. The user's own model for the domain mode.</summary>
    [JsonStringEnumMemberName("user_mode_override")]
    UserModeOverride,

    /// <summary>2. The domain mode's default model.</summary>
    [JsonStringEnumMemberName("mode_default")]
    ModeDefault,

    /// <summary>3. The best-ranked model that fits (see <see cref="RoutingRules"/>).</summary>
    [JsonStringEnumMemberName("best_fit")]
    BestFit,

    /// <summary>3, with cost optimisation: the fitting model with the lowest estimated charge.</summary>
    [JsonStringEnumMemberName("cheapest_fit")]
    CheapestFit,
}

/// <summary>A model that fits the message, with what it would cost at most.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="ProviderId">Its provider (the chat client to call).</param>
/// <param name="ReplyTokens">The reply budget on this model: the request's (or the default) capped by the model's maximum output.</param>
/// <param name="EstimatedCharge">
/// The worst-case charge in dollars: the prompt's tokens plus <paramref name="ReplyTokens"/> output tokens at the
/// tenant's user prices, rounded and raised to the minimum charge like every charge (<see cref="Pricing.PricingRules"/>).
/// A call capped at <paramref name="ReplyTokens"/> output tokens cannot cost more.
/// </param>
public readonly record struct RoutingCandidate(string ModelId, string ProviderId, int ReplyTokens, decimal EstimatedCharge);

/// <summary>
/// The router's answer: the model, the rule that chose it, what it may cost, what to fall back to, and why every other
/// model was left out.
/// </summary>
public sealed class RoutingDecision
{
    internal RoutingDecision(
        RoutingCandidate chosen,
        RoutingRule rule,
        RoutingCandidate[] fallbacks,
        RoutingExclusion[] exclusions,
        RoutingExclusion? skippedOverride,
        RoutingExclusion? skippedModeDefault)
    {
        Chosen = chosen;
        Rule = rule;
        Fallbacks = fallbacks;
        Exclusions = exclusions;
        SkippedOverride = skippedOverride;
        SkippedModeDefault = skippedModeDefault;
    }

    /// <summary>The chosen model with its reply budget and estimated charge.</summary>
    public RoutingCandidate Chosen { get; }

    /// <summary>The chosen model.</summary>
    public string ModelId => Chosen.ModelId;

    /// <summary>Its provider.</summary>
    public string ProviderId => Chosen.ProviderId;

    /// <summary>The reply budget: pass it as the call's maximum output tokens, so the charge stays within <see cref="EstimatedCharge"/>.</summary>
    public int ReplyTokens => Chosen.ReplyTokens;

    /// <summary>The worst-case charge in dollars (see <see cref="RoutingCandidate.EstimatedCharge"/>).</summary>
    public decimal EstimatedCharge => Chosen.EstimatedCharge;

    /// <summary>The rule that chose it.</summary>
    public RoutingRule Rule { get; }

    /// <summary>
    /// The other models that fit, in the automatic rule's order (best first, or cheapest first with cost
    /// optimisation): on a transient provider failure before any output, try them in turn.
    /// </summary>
    public IReadOnlyList<RoutingCandidate> Fallbacks { get; }

    /// <summary>Every other model of the catalogue with why it was left out (the first reason that applied), best-ranked first.</summary>
    public IReadOnlyList<RoutingExclusion> Exclusions { get; }

    /// <summary>Set when the user's per-mode override named a model that could not be used, and why (the router fell through to the next rule).</summary>
    public RoutingExclusion? SkippedOverride { get; }

    /// <summary>Set when the mode's default named a model that could not be used, and why (the router fell through to the automatic rule).</summary>
    public RoutingExclusion? SkippedModeDefault { get; }

    /// <summary>A one-line summary: the model, the rule, the estimate, and what was skipped.</summary>
    public override string ToString()
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{ModelId} by {Rule}, up to {RoutingExclusion.Dollars(EstimatedCharge)} ({ReplyTokens:N0}-token reply budget); {Fallbacks.Count} fallbacks, {Exclusions.Count} excluded");
        if (SkippedOverride is { } o)
        {
            text += $"; override skipped: {o.Message}";
        }

        if (SkippedModeDefault is { } d)
        {
            text += $"; mode default skipped: {d.Message}";
        }

        return text;
    }
}
