using System.Runtime.CompilerServices;

namespace Radiant.Pricing;

/// <summary>
/// The price of one request. All amounts in dollars; see <see cref="PricingRules"/> for the arithmetic.
/// </summary>
/// <remarks>
/// A quote holds integers, never a <see cref="decimal"/> until a property is read. The engine's quote keeps what it
/// was computed from — the snapshot's prices for the tenant and model (whole micro-dollars), the token counts and the
/// tenant's minimum charge — and works out each amount when it is read (a few integer operations), so quoting is a
/// lookup and a copy. Two quotes are equal when every amount is equal in value (1.50 equals 1.5).
/// </remarks>
public readonly struct PriceQuote : IEquatable<PriceQuote>
{
    private const decimal PicosPerDollar = 1_000_000_000_000m;
    private const decimal MicrosPerDollar = 1_000_000m;

    /// <summary>Bits of a packed markup that hold its scale (0–4); the digits (at most 99,999) are above them.</summary>
    internal const int MarkupScaleBits = 3;

    // A quote built from amounts (the public constructor) has no token counts: it is marked by an input count of -1,
    // keeps its base cost in the entry's two base-price fields (the low and high 40 bits of the pico-dollars) and its
    // charge where an engine quote keeps the minimum.
    private const int FromAmounts = -1;

    // What the entry's fields hold: a base cost below 2^80 pico-dollars (two 40-bit fields), user prices whose whole
    // dollars fit an int.
    private static readonly decimal MaxBaseCostDollars = (((decimal)(1UL << PricingSnapshot.Entry.BasePriceBits) * (1UL << PricingSnapshot.Entry.BasePriceBits)) - 1) / PicosPerDollar;

    private static readonly decimal MaxUserPriceDollars = int.MaxValue + 0.999999m;

    private readonly PricingSnapshot.Entry _prices;
    private readonly int _inputTokens;
    private readonly int _outputTokens;
    private readonly long _minimumOrChargeMicros;

    /// <summary>Creates a quote from dollar amounts (for a quote computed elsewhere, e.g. by the database's <c>quote_price</c>).</summary>
    /// <param name="baseCost">Provider cost before markup: 0 or more, below 2^80 pico-dollars (~1.2 trillion dollars), at most 12 decimals.</param>
    /// <param name="effectiveMarkup">The markup applied, as a fraction: 0 to <see cref="PricingRules.MaxMarkup"/>, at most 4 decimals.</param>
    /// <param name="userInputPricePer1M">What the user pays per 1M input tokens: 0 to 2,147,483,647.999999, at most 6 decimals.</param>
    /// <param name="userOutputPricePer1M">What the user pays per 1M output tokens: 0 to 2,147,483,647.999999, at most 6 decimals.</param>
    /// <param name="charge">What the request costs the user: 0 or more, at most 6 decimals.</param>
    /// <param name="overrideApplied">True when a tenant override set the price or markup.</param>
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative, too large or finer than its unit.</exception>
    public PriceQuote(decimal baseCost, decimal effectiveMarkup, decimal userInputPricePer1M, decimal userOutputPricePer1M, decimal charge, bool overrideApplied)
    {
        var picos = (UInt128)Whole(baseCost, PicosPerDollar, 12, MaxBaseCostDollars, nameof(baseCost));
        var markup = TryPackMarkup(effectiveMarkup, out var packed)
            ? packed
            : throw new ArgumentOutOfRangeException(nameof(effectiveMarkup), effectiveMarkup, $"'{nameof(effectiveMarkup)}' is a fraction between 0 and {PricingRules.MaxMarkup} with at most 4 decimals.");
        _prices = new PricingSnapshot.Entry(
            (long)(ulong)(picos & PricingSnapshot.Entry.MaxBasePriceMicros),
            (long)(ulong)(picos >> PricingSnapshot.Entry.BasePriceBits),
            markup,
            overrideApplied,
            (long)Whole(userInputPricePer1M, MicrosPerDollar, 6, MaxUserPriceDollars, nameof(userInputPricePer1M)),
            (long)Whole(userOutputPricePer1M, MicrosPerDollar, 6, MaxUserPriceDollars, nameof(userOutputPricePer1M)));
        _inputTokens = FromAmounts;
        _minimumOrChargeMicros = (long)Whole(charge, MicrosPerDollar, 6, long.MaxValue / MicrosPerDollar, nameof(charge));
    }

    /// <summary>The engine's quote: the entry it priced with, the token counts (0 or more) and the tenant's minimum charge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal PriceQuote(in PricingSnapshot.Entry prices, int inputTokens, int outputTokens, long minimumChargeMicros)
    {
        _prices = prices;
        _inputTokens = inputTokens;
        _outputTokens = outputTokens;
        _minimumOrChargeMicros = minimumChargeMicros;
    }

    /// <summary>Provider cost before markup in pico-dollars: exact, below 2^72 for any engine quote.</summary>
    internal UInt128 BaseCostPicos => _inputTokens == FromAmounts
        ? ((UInt128)(ulong)_prices.BaseOutputMicros << PricingSnapshot.Entry.BasePriceBits) | (ulong)_prices.BaseInputMicros
        : ((UInt128)(uint)_inputTokens * (ulong)_prices.BaseInputMicros) + ((UInt128)(uint)_outputTokens * (ulong)_prices.BaseOutputMicros);

    /// <summary>Provider cost before markup, exact (12 decimals).</summary>
    public decimal BaseCost
    {
        get
        {
            var picos = BaseCostPicos;
            return new decimal((int)(uint)picos, (int)(uint)(picos >> 32), (int)(uint)(picos >> 64), false, 12);
        }
    }

    /// <summary>The markup applied, as a fraction.</summary>
    public decimal EffectiveMarkup
    {
        get
        {
            var markup = _prices.PackedMarkup;
            return new((int)(markup >> MarkupScaleBits), 0, 0, false, (byte)(markup & ((1 << MarkupScaleBits) - 1)));
        }
    }

    /// <summary>What the user pays per 1M input tokens (6 decimals).</summary>
    public decimal UserInputPricePer1M => PricingSnapshot.MicrosToDollars(_prices.UserInputMicros);

    /// <summary>What the user pays per 1M output tokens (6 decimals).</summary>
    public decimal UserOutputPricePer1M => PricingSnapshot.MicrosToDollars(_prices.UserOutputMicros);

    /// <summary>What the request costs the user: rounded to the micro-dollar, at least the minimum charge.</summary>
    public decimal Charge => PricingSnapshot.MicrosToDollars(ChargeMicros);

    /// <summary><see cref="Charge"/> in whole micro-dollars (1 = $0.000001), as <see cref="PricingSnapshot.QuoteBatch"/> writes it.</summary>
    public long ChargeMicros => _inputTokens == FromAmounts
        ? _minimumOrChargeMicros
        : PricingSnapshot.ChargeMicros(in _prices, _inputTokens, _outputTokens, _minimumOrChargeMicros);

    /// <summary>True when a tenant override set the price or markup.</summary>
    public bool OverrideApplied => _prices.OverrideApplied;

    /// <summary>Equality.</summary>
    public static bool operator ==(PriceQuote left, PriceQuote right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PriceQuote left, PriceQuote right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(PriceQuote other) =>
        BaseCostPicos == other.BaseCostPicos && EffectiveMarkup == other.EffectiveMarkup && _prices.UserInputMicros == other._prices.UserInputMicros
        && _prices.UserOutputMicros == other._prices.UserOutputMicros && ChargeMicros == other.ChargeMicros && OverrideApplied == other.OverrideApplied;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PriceQuote other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(BaseCostPicos, EffectiveMarkup, _prices.UserInputMicros, _prices.UserOutputMicros, ChargeMicros, OverrideApplied);

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant(
            $"PriceQuote {{ BaseCost = {BaseCost}, EffectiveMarkup = {EffectiveMarkup}, UserInputPricePer1M = {UserInputPricePer1M}, UserOutputPricePer1M = {UserOutputPricePer1M}, Charge = {Charge}, OverrideApplied = {OverrideApplied} }}");

    /// <summary>
    /// A markup as the quote path carries it: its digits and its scale (0.40 stays 0.40), which fit 20 bits because a
    /// markup is 0 to 9.9999 with at most 4 decimals (<see cref="PricingRules.IsMarkup"/>). False for any other value.
    /// </summary>
    internal static bool TryPackMarkup(decimal markup, out uint packed)
    {
        packed = 0;
        if (!PricingRules.IsMarkup(markup))
        {
            return false;
        }

        Span<int> bits = stackalloc int[4];
        decimal.GetBits(markup, bits);
        packed = ((uint)bits[0] << MarkupScaleBits) | (uint)markup.Scale;
        return true;
    }

    private static decimal Whole(decimal dollars, decimal unitsPerDollar, int decimals, decimal max, string name)
    {
        if (dollars < 0 || decimal.Round(dollars, decimals) != dollars || dollars > max)
        {
            throw new ArgumentOutOfRangeException(name, dollars, $"'{name}' is dollars, 0 or more, with at most {decimals} decimals.");
        }

        return dollars * unitsPerDollar;
    }
}

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
