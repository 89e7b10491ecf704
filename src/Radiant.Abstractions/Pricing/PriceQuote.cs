namespace Radiant.Pricing;

/// <summary>The price of one request. All amounts in dollars; see <see cref="PricingRules"/> for the arithmetic.</summary>
/// <param name="BaseCost">Provider cost before markup, exact.</param>
/// <param name="EffectiveMarkup">The markup applied, as a fraction.</param>
/// <param name="UserInputPricePer1M">What the user pays per 1M input tokens (6 decimals).</param>
/// <param name="UserOutputPricePer1M">What the user pays per 1M output tokens (6 decimals).</param>
/// <param name="Charge">What the request costs the user: rounded to the micro-dollar, at least the minimum charge.</param>
/// <param name="OverrideApplied">True when a tenant override set the price or markup.</param>
public readonly record struct PriceQuote(
    decimal BaseCost,
    decimal EffectiveMarkup,
    decimal UserInputPricePer1M,
    decimal UserOutputPricePer1M,
    decimal Charge,
    bool OverrideApplied);

/// <summary>One usage line for <see cref="PricingSnapshot.QuoteBatch"/>.</summary>
/// <param name="Price">The tenant and model, resolved once with <see cref="PricingSnapshot.Resolve"/>.</param>
/// <param name="InputTokens">Input tokens (0 or more).</param>
/// <param name="OutputTokens">Output tokens (0 or more).</param>
public readonly record struct UsageLine(PriceHandle Price, int InputTokens, int OutputTokens);

/// <summary>
/// A tenant and model resolved against one snapshot. It holds that snapshot's prices themselves, so a handle kept
/// across a reload keeps pricing as the snapshot that resolved it did (resolve again to follow the change).
/// </summary>
public readonly struct PriceHandle : IEquatable<PriceHandle>
{
    internal PriceHandle(PricingSnapshot.Entry[] entries, int index, long[]? starts, long minimumChargeMicros)
    {
        Entries = entries;
        Index = index;
        Starts = starts;
        MinimumChargeMicros = minimumChargeMicros;
    }

    /// <summary>The entries: the tenant's row (by model index) or the timeline's segments.</summary>
    internal PricingSnapshot.Entry[]? Entries { get; }

    /// <summary>The entry in a row; unused with a timeline.</summary>
    internal int Index { get; }

    /// <summary>The timeline's segment starts (UTC ticks), or null for a fixed price.</summary>
    internal long[]? Starts { get; }

    /// <summary>True when the price changes over time (overrides or tenant base prices).</summary>
    internal bool HasTimeline => Starts is not null;

    /// <summary>The tenant's minimum charge per request, in micro-dollars.</summary>
    internal long MinimumChargeMicros { get; }

    /// <inheritdoc />
    public bool Equals(PriceHandle other) =>
        ReferenceEquals(Entries, other.Entries) && Index == other.Index && ReferenceEquals(Starts, other.Starts) && MinimumChargeMicros == other.MinimumChargeMicros;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PriceHandle other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Entries, Index);

    /// <summary>Equality.</summary>
    public static bool operator ==(PriceHandle left, PriceHandle right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PriceHandle left, PriceHandle right) => !left.Equals(right);
}
