using Radiant.Pricing;

namespace Radiant.Routing;

/// <summary>
/// The auto router ("RADIANT Brain"): chooses the model for a message sent without one. Synchronous, in memory and
/// thread-safe: a decision reads the current <see cref="RoutingCatalog"/>, <see cref="PricingSnapshot"/> and
/// <see cref="IModelHealth"/>, never the database.
/// </summary>
/// <remarks>
/// <para>The rules, in order; the first that yields a usable model decides:</para>
/// <list type="number">
/// <item><see cref="RoutingRule.UserModeOverride"/>: the user's own model for the domain mode.</item>
/// <item><see cref="RoutingRule.ModeDefault"/>: the domain mode's default model.</item>
/// <item><see cref="RoutingRule.BestFit"/>: the best-ranked model that fits (<see cref="RoutingRules"/>), or
/// <see cref="RoutingRule.CheapestFit"/>, the one with the lowest estimated charge, when the user prefers cost
/// optimisation.</item>
/// </list>
/// <para>A model fits when, checked in the order of <see cref="RoutingExclusionReason"/>: it is enabled for the tenant,
/// priced, writes replies, has the capabilities the message needs, holds the prompt plus its reply budget in its
/// context window, its estimated charge is within the user's maximum cost per message, and it is not skipped as
/// unhealthy. The override and the mode default must pass the same checks, except the domain mode's own capability
/// (they are that mode's chosen model); one that fails is recorded in <see cref="RoutingDecision.SkippedOverride"/> or
/// <see cref="RoutingDecision.SkippedModeDefault"/> and the router falls through to the next rule.</para>
/// <para>The reply budget is <see cref="RoutingRequest.MaxOutputTokens"/> (or
/// <see cref="ModelRoutingOptions.DefaultReplyTokens"/>) capped by the model's maximum output; the estimated charge is
/// the worst case, the prompt plus the whole budget at the tenant's user prices with the minimum charge
/// (<see cref="PricingRules"/>).</para>
/// </remarks>
public interface IModelRouter
{
    /// <summary>The catalogue decisions are computed from right now.</summary>
    RoutingCatalog Catalog { get; }

    /// <summary>
    /// Chooses the model. Throws <see cref="NoModelFitsException"/> when nothing fits (saying why),
    /// <see cref="Errors.RadiantValidationException"/> for an out-of-range request, and <see cref="PricingException"/>
    /// when the pricing snapshot does not know the tenant yet (a tenant created a moment ago: refresh the pricing engine
    /// and route again).
    /// </summary>
    RoutingDecision Route(RoutingRequest request);
}
