using System.Buffers;
using System.Globalization;
using System.Text;
using Radiant.Pricing;

namespace Radiant.Routing;

/// <summary>
/// The router: one pass over the catalogue in rank order computes every model's outcome (its charge, or why it is out)
/// into a stack buffer, then the rules pick from it. Per decision it allocates the decision and its two arrays; the
/// lookups that do not depend on the message (each model's price index) are made once per pair of snapshots.
/// </summary>
internal sealed class ModelRouter : IModelRouter
{
    private const int StackLimit = 512;

    private readonly Func<RoutingCatalog> _catalog;
    private readonly Func<PricingSnapshot> _prices;
    private readonly IModelHealth _health;
    private readonly TimeProvider _time;
    private readonly int _defaultReplyTokens;
    private volatile Binding? _binding;

    public ModelRouter(Func<RoutingCatalog> catalog, Func<PricingSnapshot> prices, IModelHealth health, ModelRoutingOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ModelRoutingOptionsChecks.ThrowIfInvalid(options);
        _catalog = catalog;
        _prices = prices;
        _health = health;
        _time = time;
        _defaultReplyTokens = options.DefaultReplyTokens;
    }

    public RoutingCatalog Catalog => _catalog();

    public RoutingDecision Route(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var binding = Bind(_catalog(), _prices());
        var tenant = binding.Prices.TenantOf(request.TenantId)
            ?? throw new PricingException(
                $"Tenant {request.TenantId} has no pricing in this snapshot (it was created after the last reload): refresh the pricing engine and route again.");
        var pass = new Pass(binding, tenant, request, _defaultReplyTokens, _time.GetUtcNow().UtcTicks, _health);
        var count = binding.Catalog.Count;

        // outcome[i] >= 0: model i fits at that charge (micro-dollars); < 0: ~outcome[i] is its exclusion's index.
        long[]? rentedOutcomes = null;
        var outcomes = count <= StackLimit ? stackalloc long[count] : (rentedOutcomes = ArrayPool<long>.Shared.Rent(count)).AsSpan(0, count);
        var excluded = ArrayPool<RoutingExclusion>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var automatic = request.AutomaticCapabilities;
            var (fitting, excludedCount) = (0, 0);
            for (var i = 0; i < count; i++)
            {
                if (pass.Fits(i, automatic, out var charge, out var exclusion))
                {
                    outcomes[i] = charge;
                    fitting++;
                }
                else
                {
                    excluded[excludedCount] = exclusion;
                    outcomes[i] = ~(long)excludedCount++;
                }
            }

            // Rules 1 and 2: the person's or the admin's chosen model, held to every check but the mode's capability.
            var hard = request.HardCapabilities;
            var (chosen, chosenCharge, rule) = (-1, 0L, RoutingRule.BestFit);
            RoutingExclusion? skippedOverride = null, skippedModeDefault = null;
            if (RoutingRules.NamesModel(request.UserModeOverrideModelId))
            {
                skippedOverride = TryChosen(ref pass, request.UserModeOverrideModelId!.Trim(), hard, hard == automatic, outcomes, excluded, out chosen, out chosenCharge);
                rule = RoutingRule.UserModeOverride;
            }

            if (chosen < 0 && RoutingRules.NamesModel(request.ModeDefaultModelId))
            {
                skippedModeDefault = TryChosen(ref pass, request.ModeDefaultModelId!.Trim(), hard, hard == automatic, outcomes, excluded, out chosen, out chosenCharge);
                rule = RoutingRule.ModeDefault;
            }

            // Rule 3: every model that fits, best first or cheapest first; the head is the choice unless rule 1 or 2 chose.
            (long Charge, int Index)[]? rentedRanking = null;
            var ranking = fitting <= StackLimit
                ? stackalloc (long Charge, int Index)[fitting]
                : (rentedRanking = ArrayPool<(long, int)>.Shared.Rent(fitting)).AsSpan(0, fitting);
            for (int i = 0, k = 0; i < count; i++)
            {
                if (outcomes[i] >= 0)
                {
                    ranking[k++] = (request.PreferCostOptimization ? outcomes[i] : 0, i);
                }
            }

            if (request.PreferCostOptimization)
            {
                ranking.Sort(); // by charge, then rank
            }

            if (chosen < 0)
            {
                if (fitting == 0)
                {
                    throw NothingFits(in pass, excluded.AsSpan(0, excludedCount), skippedOverride, skippedModeDefault);
                }

                (chosenCharge, chosen) = (outcomes[ranking[0].Index], ranking[0].Index);
                rule = request.PreferCostOptimization ? RoutingRule.CheapestFit : RoutingRule.BestFit;
            }

            var fallbacks = new RoutingCandidate[outcomes[chosen] >= 0 ? fitting - 1 : fitting];
            for (int k = 0, f = 0; k < ranking.Length; k++)
            {
                var i = ranking[k].Index;
                if (i != chosen)
                {
                    fallbacks[f++] = pass.Candidate(i, outcomes[i]);
                }
            }

            if (rentedRanking is not null)
            {
                ArrayPool<(long, int)>.Shared.Return(rentedRanking);
            }

            // A model chosen by rule 1 or 2 may be out of the automatic ranking (the mode's capability): not listed as excluded.
            var skip = outcomes[chosen] < 0 ? (int)~outcomes[chosen] : -1;
            var exclusions = new RoutingExclusion[skip >= 0 ? excludedCount - 1 : excludedCount];
            if (skip < 0)
            {
                Array.Copy(excluded, exclusions, excludedCount);
            }
            else
            {
                Array.Copy(excluded, exclusions, skip);
                Array.Copy(excluded, skip + 1, exclusions, skip, excludedCount - skip - 1);
            }

            return new RoutingDecision(pass.Candidate(chosen, chosenCharge), rule, fallbacks, exclusions, skippedOverride, skippedModeDefault);
        }
        finally
        {
            ArrayPool<RoutingExclusion>.Shared.Return(excluded, clearArray: true);
            if (rentedOutcomes is not null)
            {
                ArrayPool<long>.Shared.Return(rentedOutcomes);
            }
        }
    }

    /// <summary>Rule 1 or 2 for one named model: null and the model chosen, or why it cannot be used.</summary>
    private static RoutingExclusion? TryChosen(
        ref Pass pass, string modelId, RoutingCapabilities hard, bool sameChecks, ReadOnlySpan<long> outcomes, RoutingExclusion[] excluded, out int chosen, out long charge)
    {
        chosen = -1;
        charge = 0;
        var index = pass.Binding.Catalog.IndexOf(modelId);
        if (index < 0)
        {
            return RoutingExclusion.Simple(modelId, RoutingExclusionReason.UnknownModel);
        }

        if (sameChecks)
        {
            if (outcomes[index] < 0)
            {
                return excluded[~outcomes[index]];
            }

            (chosen, charge) = (index, outcomes[index]);
            return null;
        }

        if (!pass.Fits(index, hard, out var fitCharge, out var exclusion))
        {
            return exclusion;
        }

        (chosen, charge) = (index, fitCharge);
        return null;
    }

    private Binding Bind(RoutingCatalog catalog, PricingSnapshot prices)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(prices);
        var binding = _binding;
        if (binding is not null && ReferenceEquals(binding.Catalog, catalog) && ReferenceEquals(binding.Prices, prices))
        {
            return binding;
        }

        var priceIndex = new int[catalog.Count];
        for (var i = 0; i < priceIndex.Length; i++)
        {
            priceIndex[i] = prices.IndexOf(catalog.EntryAt(i).Id);
        }

        // Two threads binding a new pair at once build the same thing; either may win.
        binding = new Binding(catalog, prices, priceIndex);
        _binding = binding;
        return binding;
    }

    private static NoModelFitsException NothingFits(
        in Pass pass, ReadOnlySpan<RoutingExclusion> exclusions, RoutingExclusion? skippedOverride, RoutingExclusion? skippedModeDefault)
    {
        Span<int> counts = stackalloc int[(int)RoutingExclusionReason.Unhealthy + 1];
        foreach (var e in exclusions)
        {
            counts[(int)e.Reason]++;
        }

        var last = (RoutingExclusionReason?)null;
        for (var r = counts.Length - 1; r >= 0; r--)
        {
            if (counts[r] > 0)
            {
                last = (RoutingExclusionReason)r;
                break;
            }
        }

        var n = last is { } reason ? counts[(int)reason] : 0;
        var one = n == 1;
        var why = last switch
        {
            null => "the routing catalogue has no models.",
            RoutingExclusionReason.Disabled => "no model is enabled for this tenant.",
            RoutingExclusionReason.NotPriced => $"no enabled model has a price for this tenant ({Checked(n)}).",
            RoutingExclusionReason.NoReply => $"no enabled model writes replies ({Checked(n)}).",
            RoutingExclusionReason.MissingCapability =>
                $"no enabled model has what the message needs: {RoutingRules.Describe(pass.Request.AutomaticCapabilities)} ({Checked(n)}).",
            RoutingExclusionReason.ContextWindowTooSmall => string.Create(
                CultureInfo.InvariantCulture,
                $"no model that has what the message needs can hold the prompt ({pass.Request.InputTokens:N0} tokens) plus its reply budget ({Checked(n)}; the largest holds {Max(exclusions, RoutingExclusionReason.ContextWindowTooSmall, e => e.ContextWindow!.Value):N0} tokens)."),
            RoutingExclusionReason.OverCostLimit =>
                $"the cost limit {RoutingExclusion.Dollars(pass.Request.MaxCostPerMessage ?? 0)} excludes {All(n)} that {(one ? "fits" : "fit")} the context " +
                $"(the cheapest would cost up to {RoutingExclusion.Dollars(Min(exclusions, RoutingExclusionReason.OverCostLimit, e => e.EstimatedCharge!.Value))}).",
            RoutingExclusionReason.Unhealthy =>
                $"{All(n)} that {(one ? "fits is" : "fit are")} failing right now, skipped until {(one ? "it recovers" : "they recover")}: {Names(exclusions, RoutingExclusionReason.Unhealthy)}.",
            _ => "every model was excluded.",
        };

        var message = new StringBuilder("No model fits this message: ").Append(why);
        if (skippedOverride is { } o)
        {
            message.Append(" The user's override for this mode could not be used either: ").Append(o.Message);
        }

        if (skippedModeDefault is { } d)
        {
            message.Append(" The mode's default model could not be used either: ").Append(d.Message);
        }

        return new NoModelFitsException(message.ToString(), last, exclusions.ToArray(), skippedOverride, skippedModeDefault);
    }

    private static string All(int n) => n == 1 ? "the one model" : $"all {n.ToString(CultureInfo.InvariantCulture)} models";

    private static string Checked(int n) => n == 1 ? "1 model checked" : $"{n.ToString(CultureInfo.InvariantCulture)} models checked";

    private static T Max<T>(ReadOnlySpan<RoutingExclusion> exclusions, RoutingExclusionReason reason, Func<RoutingExclusion, T> value)
        where T : IComparable<T>
    {
        var result = default(T)!;
        var first = true;
        foreach (var e in exclusions)
        {
            if (e.Reason == reason && (first || value(e).CompareTo(result) > 0))
            {
                (result, first) = (value(e), false);
            }
        }

        return result;
    }

    private static T Min<T>(ReadOnlySpan<RoutingExclusion> exclusions, RoutingExclusionReason reason, Func<RoutingExclusion, T> value)
        where T : IComparable<T>
    {
        var result = default(T)!;
        var first = true;
        foreach (var e in exclusions)
        {
            if (e.Reason == reason && (first || value(e).CompareTo(result) < 0))
            {
                (result, first) = (value(e), false);
            }
        }

        return result;
    }

    private static string Names(ReadOnlySpan<RoutingExclusion> exclusions, RoutingExclusionReason reason)
    {
        var names = new List<string>();
        var more = 0;
        foreach (var e in exclusions)
        {
            if (e.Reason == reason)
            {
                if (names.Count < 5)
                {
                    names.Add(e.ModelId);
                }
                else
                {
                    more++;
                }
            }
        }

        return string.Join(", ", names) + (more > 0 ? $" and {more.ToString(CultureInfo.InvariantCulture)} more" : "");
    }

    /// <summary>A catalogue and a pricing snapshot, with each catalogue model's index in the snapshot (-1 when unpriced).</summary>
    private sealed record Binding(RoutingCatalog Catalog, PricingSnapshot Prices, int[] PriceIndex);

    /// <summary>What one decision checks every model against.</summary>
    private readonly struct Pass(Binding binding, PricingSnapshot.TenantState tenant, RoutingRequest request, int defaultReplyTokens, long utcTicks, IModelHealth health)
    {
        private readonly ulong[] _enabled = binding.Catalog.EnabledFor(request.TenantId);
        private readonly int _replyCap = request.MaxOutputTokens ?? defaultReplyTokens;
        private readonly long _limitMicros = LimitMicros(request.MaxCostPerMessage);

        public Binding Binding => binding;

        public RoutingRequest Request => request;

        /// <summary>The checks, in the order of <see cref="RoutingExclusionReason"/>.</summary>
        public bool Fits(int index, RoutingCapabilities needed, out long charge, out RoutingExclusion exclusion)
        {
            ref readonly var model = ref binding.Catalog.EntryAt(index);
            charge = 0;
            exclusion = default;
            if (!RoutingCatalog.IsEnabled(_enabled, index))
            {
                exclusion = RoutingExclusion.Simple(model.Id, RoutingExclusionReason.Disabled);
                return false;
            }

            var price = binding.PriceIndex[index];
            if (price < 0)
            {
                exclusion = RoutingExclusion.Simple(model.Id, RoutingExclusionReason.NotPriced);
                return false;
            }

            if (model.MaxOutputTokens <= 0)
            {
                exclusion = RoutingExclusion.Simple(model.Id, RoutingExclusionReason.NoReply);
                return false;
            }

            var missing = needed & ~model.Capabilities;
            if (missing != RoutingCapabilities.None)
            {
                exclusion = RoutingExclusion.Missing(model.Id, missing);
                return false;
            }

            var reply = Math.Min(_replyCap, model.MaxOutputTokens);
            if ((long)request.InputTokens + reply > model.ContextWindow)
            {
                exclusion = RoutingExclusion.Context(model.Id, request.InputTokens, reply, model.ContextWindow);
                return false;
            }

            charge = PricingSnapshot.ChargeMicros(tenant, price, request.InputTokens, reply, utcTicks);
            if (charge > _limitMicros)
            {
                exclusion = RoutingExclusion.Cost(model.Id, charge, _limitMicros);
                return false;
            }

            if (health.IsSkipped(model.Id, out var report))
            {
                exclusion = RoutingExclusion.Unhealthy(model.Id, in report);
                return false;
            }

            return true;
        }

        public RoutingCandidate Candidate(int index, long chargeMicros)
        {
            ref readonly var model = ref binding.Catalog.EntryAt(index);
            return new RoutingCandidate(model.Id, model.ProviderId, Math.Min(_replyCap, model.MaxOutputTokens), PricingSnapshot.MicrosToDollars(chargeMicros));
        }

        // A charge is whole micro-dollars, so "charge <= limit" is "charge <= floor(limit in micro-dollars)".
        private static long LimitMicros(decimal? limit) =>
            limit is not { } l ? long.MaxValue : l >= 9_000_000_000_000m ? long.MaxValue : (long)decimal.Floor(l * 1_000_000m);
    }
}
