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
