using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>The minimum charge per request is a floor under the exact, micro-dollar-rounded price.</summary>
public sealed class MinimumChargeTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    // gpt-4o: 2.50 / 10.00 per 1M list, 3.50 / 14.00 per 1M for users at the default 0.40 markup.
    private const string Model = "gpt-4o";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_one_token_request_is_charged_exactly_the_default_minimum()
    {
        var tenant = await db.NewTenantAsync();

        var quote = db.Engine.Quote(tenant, Model, 1, 0);

        Assert.Equal(0.001m, quote.Charge);
        Assert.Equal(0.0000025m, quote.BaseCost);
        Assert.Equal((0.40m, 3.500000m, 14.000000m), (quote.EffectiveMarkup, quote.UserInputPricePer1M, quote.UserOutputPricePer1M));
    }

    [Fact]
    public async Task A_zero_token_request_is_charged_the_minimum()
    {
        var tenant = await db.NewTenantAsync();

        var quote = db.Engine.Quote(tenant, Model, 0, 0);

        Assert.Equal(0.001m, quote.Charge);
        Assert.Equal(0m, quote.BaseCost);
    }

    [Fact]
    public async Task A_raised_minimum_is_what_a_tiny_request_costs()
    {
        var tenant = await db.NewTenantAsync();

        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { MinimumChargePerRequest = 0.005m }, Ct);

        var tiny = await Eventually.QuoteAsync(db.Engine, tenant, Model, 1, 0, q => q.Charge != 0.001m);
        Assert.Equal(0.005m, tiny.Charge);
        Assert.Equal(0.005m, db.Engine.Quote(tenant, Model, 0, 0).Charge);
        // 1,000 input tokens cost 0.0035: still under the floor.
        Assert.Equal(0.005m, db.Engine.Quote(tenant, Model, 1_000, 0).Charge);
        // 1,500 input tokens cost 0.00525: above it, charged exactly.
        Assert.Equal(0.00525m, db.Engine.Quote(tenant, Model, 1_500, 0).Charge);
    }

    [Fact]
    public async Task The_minimum_is_a_floor_not_a_surcharge()
    {
        var tenant = await db.NewTenantAsync();

        // 285 × 3.50 / 1M = 0.0009975 → 0.000998, under the floor; 286 × 3.50 / 1M = 0.001001, over it.
        Assert.Equal(0.001m, db.Engine.Quote(tenant, Model, 285, 0).Charge);
        Assert.Equal(0.001001m, db.Engine.Quote(tenant, Model, 286, 0).Charge);
    }

    [Fact]
    public async Task With_no_minimum_a_tiny_request_costs_its_price_rounded_to_the_micro_dollar()
    {
        var tenant = await db.NewTenantAsync();

        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { MinimumChargePerRequest = 0m }, Ct);

        // 1 × 3.50 / 1M = 0.0000035, rounded half away from zero to 0.000004.
        var tiny = await Eventually.QuoteAsync(db.Engine, tenant, Model, 1, 0, q => q.Charge != 0.001m);
        Assert.Equal(0.000004m, tiny.Charge);
        Assert.Equal(0m, db.Engine.Quote(tenant, Model, 0, 0).Charge);
    }

    [Fact]
    public async Task A_large_request_is_charged_its_exact_price()
    {
        var tenant = await db.NewTenantAsync();

        var quote = db.Engine.Quote(tenant, Model, 1_000_000, 500_000);

        // 1,000,000 × 3.50 / 1M + 500,000 × 14.00 / 1M = 3.50 + 7.00.
        Assert.Equal(10.500000m, quote.Charge);
        Assert.Equal(7.50m, quote.BaseCost);
        Assert.Equal((0.40m, 3.500000m, 14.000000m, false), (quote.EffectiveMarkup, quote.UserInputPricePer1M, quote.UserOutputPricePer1M, quote.OverrideApplied));
        Assert.Equal(PricingRules.Reference(2.50m, 10.00m, 0.40m, 0.001m, 1_000_000, 500_000, false), quote);
    }

    [Fact]
    public async Task Unknown_tenants_and_models_are_never_priced_at_zero()
    {
        var tenant = await db.NewTenantAsync();

        Assert.Throws<PricingException>(() => db.Engine.Quote(tenant, "no-such-model", 1, 1));
        Assert.Throws<PricingException>(() => db.Engine.Quote(Guid.NewGuid(), Model, 1, 1));
        Assert.False(db.Engine.TryQuote(Guid.NewGuid(), Model, 1, 1, out var quote));
        Assert.Equal(default, quote);
        Assert.False(db.Engine.TryQuote(tenant, Model, -1, 0, out _));
    }
}
