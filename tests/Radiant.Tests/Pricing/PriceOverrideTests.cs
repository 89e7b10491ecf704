using Radiant.Common;
using Radiant.Errors;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>
/// Per-model overrides: a reduction applies at once, a rise after the tenant's grace period, and the engine switches
/// at the override's instant from the snapshot it already has.
/// </summary>
public sealed class PriceOverrideTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    // gpt-4o lists at 2.50 / 10.00 per 1M tokens; with the default 0.40 markup users pay 3.50 / 14.00.
    private const string Model = "gpt-4o";
    private const int Million = 1_000_000;

    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_lower_override_applies_at_once()
    {
        var tenant = await db.NewTenantAsync();
        var admin = Guid.NewGuid();

        var set = await db.Pricing.SetOverrideAsync(Admin(tenant, admin), Model, new PriceOverrideInput(Markup: 0.20m), Ct);

        Assert.True(set.HasOverride);
        Assert.Equal(0.20m, set.EffectiveMarkup);
        Assert.Equal(3.000000m, set.UserInputPricePer1M);
        Assert.Equal(12.000000m, set.UserOutputPricePer1M);
        Assert.Equal(0.20m, Assert.IsType<ModelPriceOverride>(set.Override).Markup);
        Assert.Null(set.PendingOverride);

        var listed = await PriceOfAsync(tenant, Model);
        Assert.True(listed.HasOverride);
        Assert.Equal(2.50m, listed.BaseInputPricePer1M);
        Assert.Equal(0.20m, listed.EffectiveMarkup);
        Assert.Equal(3.000000m, listed.UserInputPricePer1M);
        Assert.Equal(12.000000m, listed.UserOutputPricePer1M);

        await db.Engine.RefreshAsync(Ct);
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, Million, q => q.OverrideApplied);
        Assert.True(quote.OverrideApplied);
        Assert.Equal(0.20m, quote.EffectiveMarkup);
        Assert.Equal(3.000000m, quote.UserInputPricePer1M);
        Assert.Equal(12.000000m, quote.UserOutputPricePer1M);
        Assert.Equal(15.000000m, quote.Charge);

        var entry = Assert.Single(await HistoryAsync(tenant));
        Assert.Equal((PriceChangeSource.Admin, Model, admin), (entry.Source, entry.ModelId, entry.ChangedBy));
        Assert.Equal((2.50m, 10.00m, 0.40m), (entry.PreviousInputPricePer1M, entry.PreviousOutputPricePer1M, entry.PreviousMarkup));
        Assert.Equal((2.50m, 10.00m, 0.20m), (entry.NewInputPricePer1M, entry.NewOutputPricePer1M, entry.NewMarkup));
    }

    [Fact]
    public async Task A_lower_price_override_replaces_the_base_price_at_once()
    {
        var tenant = await db.NewTenantAsync();

        var set = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(InputPricePer1M: 2.00m, OutputPricePer1M: 8.00m), Ct);

        Assert.True(set.HasOverride);
        Assert.Equal((2.00m, 8.00m, 0.40m), (set.BaseInputPricePer1M, set.BaseOutputPricePer1M, set.EffectiveMarkup));
        Assert.Equal((2.800000m, 11.200000m), (set.UserInputPricePer1M, set.UserOutputPricePer1M));
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, Million, q => q.OverrideApplied);
        Assert.Equal((2.800000m, 11.200000m, 14.000000m), (quote.UserInputPricePer1M, quote.UserOutputPricePer1M, quote.Charge));
        Assert.Equal(10.00m, quote.BaseCost);
    }

    [Fact]
    public async Task A_higher_override_waits_for_the_grace_period_then_applies_without_a_reload()
    {
        var tenant = await db.NewTenantAsync();

        var before = DateTimeOffset.UtcNow;
        var set = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.60m), Ct);
        var after = DateTimeOffset.UtcNow;

        // The current price holds.
        Assert.False(set.HasOverride);
        Assert.Null(set.Override);
        Assert.Equal((0.40m, 3.500000m, 14.000000m), (set.EffectiveMarkup, set.UserInputPricePer1M, set.UserOutputPricePer1M));
        var pending = Assert.IsType<ModelPriceOverride>(set.PendingOverride);
        Assert.Equal(0.60m, pending.Markup);
        Assert.InRange(pending.EffectiveFrom, before.AddHours(24) - Tolerance, after.AddHours(24) + Tolerance);
        Assert.Equal(set, await PriceOfAsync(tenant, Model));

        var entry = Assert.Single(await HistoryAsync(tenant));
        Assert.Equal(pending.EffectiveFrom, entry.EffectiveFrom);
        Assert.Equal((0.40m, 0.60m), (entry.PreviousMarkup, entry.NewMarkup));

        // Once the engine has the pending override, one snapshot answers both sides of its start.
        await db.Engine.RefreshAsync(Ct);
        var snapshot = await Eventually.SnapshotAsync(db.Engine, s => s.Quote(tenant, Model, Million, 0, pending.EffectiveFrom.AddSeconds(1)).OverrideApplied);
        var raised = snapshot.Quote(tenant, Model, Million, 0, pending.EffectiveFrom.AddSeconds(1));
        Assert.Equal((0.60m, 4.000000m, 16.000000m, 4.000000m), (raised.EffectiveMarkup, raised.UserInputPricePer1M, raised.UserOutputPricePer1M, raised.Charge));

        var now = db.Engine.Quote(tenant, Model, Million, 0);
        Assert.False(now.OverrideApplied);
        Assert.Equal((0.40m, 3.500000m, 3.500000m), (now.EffectiveMarkup, now.UserInputPricePer1M, now.Charge));

        Assert.Equal(3.500000m, snapshot.Quote(tenant, Model, Million, 0, pending.EffectiveFrom.AddTicks(-1)).Charge);
        Assert.Equal(4.000000m, snapshot.Quote(tenant, Model, Million, 0, pending.EffectiveFrom).Charge);
        Assert.Equal(4.000000m, snapshot.Quote(tenant, Model, Million, 0, pending.EffectiveFrom.AddDays(30)).Charge);
        Assert.Equal(3.500000m, snapshot.Quote(tenant, Model, Million, 0, DateTimeOffset.UtcNow).Charge);
    }

    [Fact]
    public async Task With_no_grace_period_a_rise_applies_at_once()
    {
        var tenant = await db.NewTenantAsync();
        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, Ct);

        var set = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.60m), Ct);

        Assert.True(set.HasOverride);
        Assert.Null(set.PendingOverride);
        Assert.Equal((0.60m, 4.000000m, 16.000000m), (set.EffectiveMarkup, set.UserInputPricePer1M, set.UserOutputPricePer1M));
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => q.OverrideApplied);
        Assert.Equal((0.60m, 4.000000m), (quote.EffectiveMarkup, quote.Charge));
    }

    [Fact]
    public async Task A_rise_requested_later_than_the_grace_period_starts_when_requested()
    {
        var tenant = await db.NewTenantAsync();
        var from = DateTimeOffset.UtcNow.AddHours(48);
        var to = from.AddHours(2);

        var set = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.60m, EffectiveFrom: from, EffectiveTo: to), Ct);

        var pending = Assert.IsType<ModelPriceOverride>(set.PendingOverride);
        Assert.InRange(pending.EffectiveFrom, from.AddMilliseconds(-1), from.AddMilliseconds(1));
        Assert.NotNull(pending.EffectiveTo);
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => q.OverrideApplied, at: from.AddHours(1));
        Assert.Equal(4.000000m, quote.Charge);
        Assert.Equal(3.500000m, db.Engine.Quote(tenant, Model, Million, 0, to.AddSeconds(1)).Charge);
        Assert.Equal(3.500000m, db.Engine.Quote(tenant, Model, Million, 0, from.AddSeconds(-1)).Charge);
    }

    [Fact]
    public async Task Removing_a_lower_override_returns_to_the_default_only_after_the_grace_period()
    {
        var tenant = await db.NewTenantAsync();
        await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.20m), Ct);

        var before = DateTimeOffset.UtcNow;
        var removed = await db.Pricing.RemoveOverrideAsync(Admin(tenant), Model, Ct);
        var after = DateTimeOffset.UtcNow;

        // The lower price holds through the grace period.
        Assert.True(removed.HasOverride);
        Assert.Equal((0.20m, 3.000000m), (removed.EffectiveMarkup, removed.UserInputPricePer1M));
        var ending = Assert.IsType<ModelPriceOverride>(removed.Override);
        var end = Assert.IsType<DateTimeOffset>(ending.EffectiveTo);
        Assert.InRange(end, before.AddHours(24) - Tolerance, after.AddHours(24) + Tolerance);
        Assert.Null(removed.PendingOverride);

        var entry = (await HistoryAsync(tenant))[0];
        Assert.Equal((0.20m, 0.40m, end), (entry.PreviousMarkup, entry.NewMarkup, entry.EffectiveFrom));

        await db.Engine.RefreshAsync(Ct);
        var atDefault = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => !q.OverrideApplied, at: end.AddSeconds(1));
        Assert.Equal((0.40m, 3.500000m), (atDefault.EffectiveMarkup, atDefault.Charge));
        var now = db.Engine.Quote(tenant, Model, Million, 0);
        Assert.True(now.OverrideApplied);
        Assert.Equal((0.20m, 3.000000m), (now.EffectiveMarkup, now.Charge));
        Assert.Equal(3.000000m, db.Engine.Quote(tenant, Model, Million, 0, end.AddTicks(-1)).Charge);
    }

    [Fact]
    public async Task Removing_a_higher_override_returns_to_the_default_at_once()
    {
        var tenant = await db.NewTenantAsync();
        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 0 }, Ct);
        await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.60m), Ct);
        await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 24 }, Ct);
        var raised = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => q.OverrideApplied);
        Assert.Equal(4.000000m, raised.Charge);

        var removed = await db.Pricing.RemoveOverrideAsync(Admin(tenant), Model, Ct);

        Assert.False(removed.HasOverride);
        Assert.Null(removed.Override);
        Assert.Null(removed.PendingOverride);
        Assert.Equal((0.40m, 3.500000m, 14.000000m), (removed.EffectiveMarkup, removed.UserInputPricePer1M, removed.UserOutputPricePer1M));
        var quote = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => !q.OverrideApplied);
        Assert.Equal(3.500000m, quote.Charge);
        Assert.Equal(3.500000m, db.Engine.Quote(tenant, Model, Million, 0, DateTimeOffset.UtcNow.AddDays(30)).Charge);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.model_pricing_overrides WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task Removing_a_pending_rise_cancels_it()
    {
        var tenant = await db.NewTenantAsync();
        var set = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.60m), Ct);
        var start = set.PendingOverride!.EffectiveFrom;
        Assert.Equal(4.000000m, (await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => q.OverrideApplied, at: start.AddSeconds(1))).Charge);

        var removed = await db.Pricing.RemoveOverrideAsync(Admin(tenant), Model, Ct);

        Assert.Null(removed.PendingOverride);
        Assert.False(removed.HasOverride);
        var later = await Eventually.QuoteAsync(db.Engine, tenant, Model, Million, 0, q => !q.OverrideApplied, at: start.AddSeconds(1));
        Assert.Equal(3.500000m, later.Charge);
    }

    [Fact]
    public async Task Setting_an_override_replaces_the_current_one()
    {
        var tenant = await db.NewTenantAsync();

        await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.30m), Ct);
        await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.25m), Ct);
        var last = await db.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(InputPricePer1M: 1.50m, OutputPricePer1M: 8.00m), Ct);

        // The last override stands alone: its markup is the default again, nothing of the earlier ones is merged in.
        Assert.True(last.HasOverride);
        Assert.Equal((1.50m, 8.00m, 0.40m), (last.BaseInputPricePer1M, last.BaseOutputPricePer1M, last.EffectiveMarkup));
        Assert.Equal(
            1L,
            await db.ScalarAsync<long>(
                "SELECT count(*) FROM radiant.model_pricing_overrides WHERE tenant_id = @t AND (effective_to IS NULL OR effective_to > now())", ("t", tenant)));
        Assert.Equal(3, (await HistoryAsync(tenant)).Count);
    }

    [Fact]
    public async Task Removing_when_there_is_no_override_is_not_found()
    {
        var tenant = await db.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Pricing.RemoveOverrideAsync(Admin(tenant), Model, Ct));

        Assert.Contains(Model, error.Message, StringComparison.Ordinal);
        Assert.Empty(await HistoryAsync(tenant));
    }

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        var tenant = await db.NewTenantAsync();

        var set = await Assert.ThrowsAsync<RadiantNotFoundException>(() =>
            db.Pricing.SetOverrideAsync(Admin(tenant), "no-such-model", new PriceOverrideInput(Markup: 0.1m), Ct));
        var remove = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Pricing.RemoveOverrideAsync(Admin(tenant), "no-such-model", Ct));

        Assert.Equal("model", set.Resource);
        Assert.Equal("model", remove.Resource);
        Assert.Empty(await HistoryAsync(tenant));
    }

    [Theory]
    [InlineData("nothing", "markup")]
    [InlineData("markup-10", "markup")]
    [InlineData("markup-negative", "markup")]
    [InlineData("markup-5-decimals", "markup")]
    [InlineData("input-negative", "inputPricePer1M")]
    [InlineData("output-negative", "outputPricePer1M")]
    [InlineData("to-equals-from", "effectiveTo")]
    [InlineData("to-before-from", "effectiveTo")]
    [InlineData("to-before-the-rise-may-start", "effectiveTo")]
    public async Task Bad_override_input_is_rejected_naming_the_field_and_nothing_is_stored(string input, string field)
    {
        var tenant = await db.NewTenantAsync();
        var from = DateTimeOffset.UtcNow.AddHours(1);
        var bad = input switch
        {
            "nothing" => new PriceOverrideInput(),
            "markup-10" => new PriceOverrideInput(Markup: 10m),
            "markup-negative" => new PriceOverrideInput(Markup: -0.01m),
            "markup-5-decimals" => new PriceOverrideInput(Markup: 0.12345m),
            "input-negative" => new PriceOverrideInput(InputPricePer1M: -1m),
            "output-negative" => new PriceOverrideInput(OutputPricePer1M: -0.5m),
            "to-equals-from" => new PriceOverrideInput(Markup: 0.1m, EffectiveFrom: from, EffectiveTo: from),
            "to-before-from" => new PriceOverrideInput(Markup: 0.1m, EffectiveFrom: from, EffectiveTo: from.AddMinutes(-1)),
            // A rise cannot start before the 24 h grace period, so it cannot end an hour from now.
            "to-before-the-rise-may-start" => new PriceOverrideInput(Markup: 0.9m, EffectiveTo: from),
            _ => throw new ArgumentOutOfRangeException(nameof(input), input, null),
        };

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Pricing.SetOverrideAsync(Admin(tenant), Model, bad, Ct));

        Assert.Equal([field], error.Errors.Keys);
        var price = await PriceOfAsync(tenant, Model);
        Assert.False(price.HasOverride);
        Assert.Null(price.PendingOverride);
        Assert.Empty(await HistoryAsync(tenant));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.model_pricing_overrides WHERE tenant_id = @t", ("t", tenant)));
    }

    private async Task<ModelPricing> PriceOfAsync(Guid tenant, string model) =>
        Assert.Single(await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => p.ModelId == model);

    private async Task<IReadOnlyList<PriceHistoryEntry>> HistoryAsync(Guid tenant) =>
        (await db.Pricing.ListHistoryAsync(Admin(tenant), null, new PageRequest(Limit: PageRequest.MaxLimit), Ct)).Items;
}
