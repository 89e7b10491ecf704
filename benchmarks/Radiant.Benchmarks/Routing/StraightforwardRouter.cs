using Radiant.Pricing;
using Radiant.Routing;

namespace Radiant.Benchmarks.Routing;

/// <summary>
/// The baseline: the same rules written the obvious way. Every model is quoted with <see cref="PricingSnapshot.TryQuote"/>
/// (decimal), checked with LINQ into a list of outcomes, and the fitting ones sorted with <c>OrderBy</c>. Same answer as
/// the router (checked at setup), none of its shortcuts.
/// </summary>
internal sealed class StraightforwardRouter(RoutingCatalog catalog, PricingSnapshot prices, IModelHealth health, DateTimeOffset now)
{
    public sealed record Outcome(RoutingModel Model, int ReplyTokens, decimal Charge, RoutingExclusionReason? Reason);

    public sealed record Decision(string ModelId, RoutingRule Rule, decimal EstimatedCharge, List<Outcome> Fallbacks, List<Outcome> Exclusions);

    public Decision? Route(RoutingRequest request)
    {
        var automatic = request.AutomaticCapabilities;
        var hard = request.HardCapabilities;
        var outcomes = catalog.Models.Select(m => Check(m, request, automatic)).ToList();
        var fitting = outcomes.Where(o => o.Reason is null);
        var ranked = (request.PreferCostOptimization ? fitting.OrderBy(o => o.Charge) : fitting.OrderBy(_ => 0)).ToList();

        Outcome? chosen = null;
        var rule = request.PreferCostOptimization ? RoutingRule.CheapestFit : RoutingRule.BestFit;
        foreach (var (id, named) in new[] { (request.UserModeOverrideModelId, RoutingRule.UserModeOverride), (request.ModeDefaultModelId, RoutingRule.ModeDefault) })
        {
            if (chosen is null && RoutingRules.NamesModel(id) && catalog.Models.FirstOrDefault(m => m.Id == id!.Trim()) is { } model
                && Check(model, request, hard) is { Reason: null } outcome)
            {
                (chosen, rule) = (outcome, named);
            }
        }

        chosen ??= ranked.FirstOrDefault();
        if (chosen is null)
        {
            return null;
        }

        return new Decision(
            chosen.Model.Id,
            rule,
            chosen.Charge,
            ranked.Where(o => o.Model.Id != chosen.Model.Id).ToList(),
            outcomes.Where(o => o.Reason is not null && o.Model.Id != chosen.Model.Id).ToList());
    }

    private Outcome Check(RoutingModel model, RoutingRequest request, RoutingCapabilities needed)
    {
        var reply = Math.Min(request.MaxOutputTokens ?? RoutingRules.DefaultReplyTokens, model.MaxOutputTokens);
        if (!catalog.IsEnabled(request.TenantId, model.Id))
        {
            return new Outcome(model, reply, 0, RoutingExclusionReason.Disabled);
        }

        if (!prices.TryQuote(request.TenantId, model.Id, request.InputTokens, reply, now, out var quote))
        {
            return new Outcome(model, reply, 0, RoutingExclusionReason.NotPriced);
        }

        RoutingExclusionReason? reason =
            model.MaxOutputTokens <= 0 ? RoutingExclusionReason.NoReply
            : (needed & ~model.Capabilities) != 0 ? RoutingExclusionReason.MissingCapability
            : (long)request.InputTokens + reply > model.ContextWindow ? RoutingExclusionReason.ContextWindowTooSmall
            : request.MaxCostPerMessage is { } limit && quote.Charge > limit ? RoutingExclusionReason.OverCostLimit
            : health.IsSkipped(model.Id, out _) ? RoutingExclusionReason.Unhealthy
            : null;
        return new Outcome(model, reply, quote.Charge, reason);
    }
}
