using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>A quote carries integers and builds decimals on demand: its amounts, equality and bounds.</summary>
public sealed class PriceQuoteTests
{
    [Fact]
    public void Amounts_read_back_exactly_and_equality_is_by_value()
    {
        var quote = new PriceQuote(0.000123456789m, 0.40m, 2.800001m, 11.2m, 0.000173m, overrideApplied: true);

        Assert.Equal(0.000123456789m, quote.BaseCost);
        Assert.Equal(12, quote.BaseCost.Scale);
        Assert.Equal(0.40m, quote.EffectiveMarkup);
        Assert.Equal(2.800001m, quote.UserInputPricePer1M);
        Assert.Equal(11.2m, quote.UserOutputPricePer1M);
        Assert.Equal(0.000173m, quote.Charge);
        Assert.Equal(173, quote.ChargeMicros);
        Assert.True(quote.OverrideApplied);

        var same = new PriceQuote(0.000123456789000m, 0.4m, 2.8000010m, 11.200000m, 0.0001730m, true);
        Assert.Equal(quote, same);
        Assert.True(quote == same);
        Assert.Equal(quote.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(quote, new PriceQuote(0.000123456789m, 0.40m, 2.800001m, 11.2m, 0.000174m, true));
        Assert.Contains("Charge = 0.000173", quote.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_base_cost_a_quote_can_have_is_exact()
    {
        // int.MaxValue tokens each way at the largest price per 1M: beyond 64 bits of pico-dollars.
        var snapshot = new PricingSnapshotBuilder().AddModel("m", PricingRules.MaxPricePer1M, PricingRules.MaxPricePer1M).AddTenant(Guid.Empty).Build();
        var quote = snapshot.Quote(Guid.Empty, "m", int.MaxValue, int.MaxValue, DateTimeOffset.UnixEpoch);
        var reference = PricingRules.Reference(PricingRules.MaxPricePer1M, PricingRules.MaxPricePer1M, 0.40m, 0.001m, int.MaxValue, int.MaxValue, false);

        Assert.Equal(reference, quote);
        Assert.Equal(2m * int.MaxValue * PricingRules.MaxPricePer1M / 1_000_000m, quote.BaseCost);
    }

    [Fact]
    public void The_largest_amounts_a_quote_built_from_amounts_holds_read_back_exactly()
    {
        var baseCost = (((decimal)(1UL << 40) * (1UL << 40)) - 1) / 1_000_000_000_000m; // 2^80 - 1 pico-dollars
        baseCost = decimal.Round(baseCost, 12, MidpointRounding.ToZero);
        var userPrice = int.MaxValue + 0.999999m;
        var charge = long.MaxValue / 1_000_000m;
        charge = decimal.Round(charge, 6, MidpointRounding.ToZero);

        var quote = new PriceQuote(baseCost, 9.9999m, userPrice, userPrice, charge, true);

        Assert.Equal((baseCost, 9.9999m, userPrice, userPrice, charge, true), (quote.BaseCost, quote.EffectiveMarkup, quote.UserInputPricePer1M, quote.UserOutputPricePer1M, quote.Charge, quote.OverrideApplied));
        Assert.Throws<ArgumentOutOfRangeException>("baseCost", () => new PriceQuote(baseCost + 0.000000000001m, 0m, 0m, 0m, 0m, false));
        Assert.Throws<ArgumentOutOfRangeException>("userInputPricePer1M", () => new PriceQuote(0m, 0m, userPrice + 0.000001m, 0m, 0m, false));
        Assert.Throws<ArgumentOutOfRangeException>("userOutputPricePer1M", () => new PriceQuote(0m, 0m, 0m, userPrice + 0.000001m, 0m, false));
    }

    [Fact]
    public void An_engine_quote_and_the_same_amounts_built_by_hand_are_equal_and_default_is_all_zero()
    {
        var tenant = Guid.NewGuid();
        var snapshot = new PricingSnapshotBuilder().AddModel("m", 2.5m, 10m)
            .AddTenant(tenant, new TenantPricingConfig { ExternalDefaultMarkup = 0.40m, MinimumChargePerRequest = 0.01m }).Build();

        var quote = snapshot.Quote(tenant, "m", 1_000, 500, DateTimeOffset.UnixEpoch);
        var byHand = new PriceQuote(0.0075m, 0.40m, 3.5m, 14m, 0.0105m, false);

        Assert.Equal(byHand, quote);
        Assert.Equal(byHand.GetHashCode(), quote.GetHashCode());
        Assert.Equal(10_500, quote.ChargeMicros);
        // Below the minimum, the charge is the minimum, and a hand-built quote says the same.
        Assert.Equal(new PriceQuote(0.0000025m, 0.40m, 3.5m, 14m, 0.01m, false), snapshot.Quote(tenant, "m", 1, 0, DateTimeOffset.UnixEpoch));
        var none = default(PriceQuote);
        Assert.Equal((0m, 0m, 0m, 0m, 0m, 0L, false), (none.BaseCost, none.EffectiveMarkup, none.UserInputPricePer1M, none.UserOutputPricePer1M, none.Charge, none.ChargeMicros, none.OverrideApplied));
    }

    [Theory]
    [InlineData(-0.000001, 0, 0, 0, "baseCost")]
    [InlineData(0.0000000000001, 0, 0, 0, "baseCost")]
    [InlineData(0, 0.0000001, 0, 0, "userInputPricePer1M")]
    [InlineData(0, 0, -1, 0, "userOutputPricePer1M")]
    [InlineData(0, 0, 0, 0.0000005, "charge")]
    public void Amounts_finer_than_their_unit_or_negative_are_refused(double baseCost, double userInput, double userOutput, double charge, string field)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new PriceQuote((decimal)baseCost, 0m, (decimal)userInput, (decimal)userOutput, (decimal)charge, false));
        Assert.Equal(field, error.ParamName);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.40")]
    [InlineData("0.4")]
    [InlineData("0.3333")]
    [InlineData("1.0000")]
    [InlineData("9.9999")]
    public void A_markup_reads_back_with_its_own_digits_and_scale(string text)
    {
        var markup = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var quote = new PriceQuote(0m, markup, 0m, 0m, 0m, false);

        Assert.Equal(text, quote.EffectiveMarkup.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // And so does the engine's, for a tenant configured with it.
        var tenant = Guid.NewGuid();
        var snapshot = new PricingSnapshotBuilder().AddModel("m", 1m, 1m).AddTenant(tenant, new TenantPricingConfig { ExternalDefaultMarkup = markup }).Build();
        Assert.Equal(text, snapshot.Quote(tenant, "m", 1, 1, DateTimeOffset.UnixEpoch).EffectiveMarkup.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("-0.0001")]
    [InlineData("10")]
    [InlineData("0.12345")]
    [InlineData("1.00000")]
    public void A_markup_outside_0_to_9_9999_or_with_more_than_4_decimals_is_refused(string text)
    {
        var markup = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PriceQuote(0m, markup, 0m, 0m, 0m, false));
        Assert.Equal("effectiveMarkup", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new PricingSnapshotBuilder().AddModel("m", 1m, 1m).AddTenant(Guid.Empty)
                .AddOverride(Guid.Empty, new ModelPriceOverride("m", markup, null, null, DateTimeOffset.UnixEpoch, null)));
    }
}
