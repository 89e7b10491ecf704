using Radiant.Errors;

namespace Radiant.Pricing;

/// <summary>
/// The pricing arithmetic, written once. Every quote — the engine's integer fast path, the database's
/// <c>quote_price</c> function and this reference — follows these rules:
/// <list type="number">
/// <item>Effective base price per 1M tokens = the override's price when it sets one, else the tenant's base price.</item>
/// <item>Effective markup = the override's markup when it sets one, else the tenant's default for external or self-hosted models.</item>
/// <item>User price per 1M = base × (1 + markup), rounded to 6 decimals, half away from zero (PostgreSQL's <c>round(numeric, 6)</c>).</item>
/// <item>Base cost = (input × base input + output × base output) / 1,000,000, exact (no rounding).</item>
/// <item>Charge = (input × user input + output × user output) / 1,000,000, rounded to 6 decimals (whole micro-dollars), half
/// away from zero, then raised to the tenant's minimum charge per request.</item>
/// </list>
/// </summary>
public static class PricingRules
{
    /// <summary>The largest markup accepted (numeric(5,4)).</summary>
    public const decimal MaxMarkup = 9.9999m;

    /// <summary>The largest price per 1M tokens accepted (numeric(12,6)).</summary>
    public const decimal MaxPricePer1M = 999_999.999999m;

    /// <summary>Rounds to whole micro-dollars (6 decimals), half away from zero.</summary>
    public static decimal RoundMicros(decimal value) => Math.Round(value, 6, MidpointRounding.AwayFromZero);

    /// <summary>User price per 1M tokens from a base price and a markup.</summary>
    public static decimal UserPrice(decimal basePricePer1M, decimal markup) => RoundMicros(basePricePer1M * (1 + markup));

    /// <summary>
    /// The reference quote in plain <see cref="decimal"/> arithmetic. The engine is tested to agree with it to the
    /// micro-dollar; it is also what a reader should read to understand a price.
    /// </summary>
    public static PriceQuote Reference(
        decimal baseInputPer1M, decimal baseOutputPer1M, decimal markup, decimal minimumCharge, int inputTokens, int outputTokens, bool overrideApplied)
    {
        var userInput = UserPrice(baseInputPer1M, markup);
        var userOutput = UserPrice(baseOutputPer1M, markup);
        var baseCost = ((inputTokens * baseInputPer1M) + (outputTokens * baseOutputPer1M)) / 1_000_000m;
        var charge = Math.Max(RoundMicros(((inputTokens * userInput) + (outputTokens * userOutput)) / 1_000_000m), minimumCharge);
        return new PriceQuote(baseCost, markup, userInput, userOutput, charge, overrideApplied);
    }

    /// <summary>True when <paramref name="markup"/> is a fraction between 0 and <see cref="MaxMarkup"/> with at most 4 decimals (the columns' <c>numeric(5, 4)</c>).</summary>
    internal static bool IsMarkup(decimal markup) => markup >= 0 && markup <= MaxMarkup && markup.Scale <= 4;

    /// <summary>Records an error unless <paramref name="markup"/> is a markup (<see cref="IsMarkup"/>).</summary>
    internal static void ValidateMarkup(ValidationErrors errors, string field, decimal markup)
    {
        if (!IsMarkup(markup))
        {
            errors.Add(field, $"'{field}' is a fraction (0.40 = 40 %) between 0 and {MaxMarkup} with at most 4 decimals.");
        }
    }

    /// <summary>Records an error unless <paramref name="price"/> is 0 to <see cref="MaxPricePer1M"/> dollars per 1M tokens with at most 6 decimals.</summary>
    internal static void ValidatePrice(ValidationErrors errors, string field, decimal price)
    {
        if (price < 0 || price > MaxPricePer1M || price.Scale > 6)
        {
            errors.Add(field, $"'{field}' is dollars per 1M tokens between 0 and {MaxPricePer1M} with at most 6 decimals.");
        }
    }
}
