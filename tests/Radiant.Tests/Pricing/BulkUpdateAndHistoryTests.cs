using Radiant.Common;
using Radiant.Errors;
using Radiant.Pricing;
using Radiant.Registry;

namespace Radiant.Tests.Pricing;

/// <summary>Bulk markup updates and the price history they (and every other change) write.</summary>
public sealed class BulkUpdateAndHistoryTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private static readonly PageRequest All = new(Limit: PageRequest.MaxLimit);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IReadOnlyList<ModelDefinition> ExternalModels => [.. BuiltInCatalog.Catalog.Models.Where(m => !m.IsSelfHosted)];

    [Fact]
    public async Task Bulk_external_markup_writes_one_history_row_per_changed_model_and_skips_markup_overrides()
    {
        var tenant = await db.NewTenantAsync();
        var admin = Guid.NewGuid();
        // gpt-4o keeps its own markup; claude-4-sonnet overrides only its input price, so it follows the default markup.
        await db.Pricing.SetOverrideAsync(Admin(tenant, admin), "gpt-4o", new PriceOverrideInput(Markup: 0.20m), Ct);
        await db.Pricing.SetOverrideAsync(Admin(tenant, admin), "claude-4-sonnet", new PriceOverrideInput(InputPricePer1M: 2.00m), Ct);
        var before = (await db.Pricing.ListHistoryAsync(Admin(tenant), page: All, cancellationToken: Ct)).Items;

        var result = await db.Pricing.BulkUpdateMarkupAsync(Admin(tenant, admin), new BulkMarkupUpdate(ModelHosting.External, 0.55m), Ct);

        Assert.Equal(new BulkMarkupResult(ModelHosting.External, 0.55m, ExternalModels.Count - 1), result);
        var history = (await db.Pricing.ListHistoryAsync(Admin(tenant), page: All, cancellationToken: Ct)).Items;
        var bulk = history.Where(h => h.Source == PriceChangeSource.BulkUpdate).ToList();
        Assert.Equal(before.Count + bulk.Count, history.Count);
        Assert.Equal(ExternalModels.Count - 1, bulk.Count);
        Assert.Equal(
            ExternalModels.Select(m => m.Id).Where(id => id != "gpt-4o").Order(StringComparer.Ordinal),
            bulk.Select(h => h.ModelId).Order(StringComparer.Ordinal));
        Assert.All(bulk, h =>
        {
            Assert.Equal((0.40m, 0.55m, admin), (h.PreviousMarkup, h.NewMarkup, h.ChangedBy));
            Assert.Equal(h.PreviousInputPricePer1M, h.NewInputPricePer1M);
            Assert.Equal(h.PreviousOutputPricePer1M, h.NewOutputPricePer1M);
        });
        var grok = Assert.Single(bulk, h => h.ModelId == "grok-3");
        Assert.Equal((3.00m, 15.00m), (grok.PreviousInputPricePer1M, grok.PreviousOutputPricePer1M));
        var sonnet = Assert.Single(bulk, h => h.ModelId == "claude-4-sonnet");
        Assert.Equal((2.00m, 15.00m), (sonnet.PreviousInputPricePer1M, sonnet.PreviousOutputPricePer1M));

        var config = await db.Pricing.GetConfigAsync(Admin(tenant), Ct);
        Assert.Equal((0.55m, 0.75m), (config.ExternalDefaultMarkup, config.SelfHostedDefaultMarkup));

        var prices = await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct);
        Assert.Equal(0.20m, Assert.Single(prices, p => p.ModelId == "gpt-4o").EffectiveMarkup);
        Assert.Equal((0.55m, 3.100000m), Select(Assert.Single(prices, p => p.ModelId == "claude-4-sonnet")));
        Assert.Equal((0.55m, 4.650000m), Select(Assert.Single(prices, p => p.ModelId == "grok-3")));

        var quote = await Eventually.QuoteAsync(db.Engine, tenant, "grok-3", 1_000_000, 0, q => q.EffectiveMarkup == 0.55m);
        Assert.Equal(4.650000m, quote.Charge);
        Assert.Equal(0.20m, db.Engine.Quote(tenant, "gpt-4o", 1, 0).EffectiveMarkup);
        Assert.Equal(3.100000m, db.Engine.Quote(tenant, "claude-4-sonnet", 1_000_000, 0).Charge);

        static (decimal, decimal) Select(ModelPricing p) => (p.EffectiveMarkup, p.UserInputPricePer1M);
    }

    [Fact]
    public async Task Repeating_a_bulk_update_changes_nothing_and_writes_no_history()
    {
        var tenant = await db.NewTenantAsync();
        await db.Pricing.BulkUpdateMarkupAsync(Admin(tenant), new BulkMarkupUpdate(ModelHosting.External, 0.50m), Ct);
        var count = (await db.Pricing.ListHistoryAsync(Admin(tenant), page: All, cancellationToken: Ct)).Items.Count;

        var again = await db.Pricing.BulkUpdateMarkupAsync(Admin(tenant), new BulkMarkupUpdate(ModelHosting.External, 0.50m), Ct);

        Assert.Equal(0, again.AffectedModels);
        Assert.Equal(ExternalModels.Count, count);
        Assert.Equal(count, (await db.Pricing.ListHistoryAsync(Admin(tenant), page: All, cancellationToken: Ct)).Items.Count);
    }

    [Fact]
    public async Task Bulk_self_hosted_markup_touches_only_self_hosted_models()
    {
        var tenant = await db.NewTenantAsync();

        var result = await db.Pricing.BulkUpdateMarkupAsync(Admin(tenant), new BulkMarkupUpdate(ModelHosting.SelfHosted, 0.90m), Ct);

        // The built-in catalogue has no self-hosted model: the default changes, no price does.
        Assert.Equal(BuiltInCatalog.Catalog.Models.Count(m => m.IsSelfHosted), result.AffectedModels);
        var config = await db.Pricing.GetConfigAsync(Admin(tenant), Ct);
        Assert.Equal((0.40m, 0.90m), (config.ExternalDefaultMarkup, config.SelfHostedDefaultMarkup));
        Assert.All(await db.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => Assert.Equal(0.40m, p.EffectiveMarkup));
    }

    [Theory]
    [InlineData("-0.1")]
    [InlineData("10")]
    [InlineData("0.12345")]
    public async Task A_bad_bulk_markup_is_rejected_and_nothing_changes(string markup)
    {
        var tenant = await db.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Pricing.BulkUpdateMarkupAsync(
            Admin(tenant), new BulkMarkupUpdate(ModelHosting.External, decimal.Parse(markup, System.Globalization.CultureInfo.InvariantCulture)), Ct));

        Assert.Equal(["markup"], error.Errors.Keys);
        Assert.Equal(TenantPricingConfig.Default, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(tenant), cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task History_is_newest_first_pages_and_filters_by_model()
    {
        var tenant = await db.NewTenantAsync();
        var admin = Guid.NewGuid();
        var changes = new (string Model, decimal Markup)[] { ("gpt-4o", 0.30m), ("gpt-4o", 0.20m), ("o1", 0.10m), ("gpt-4o-mini", 0.35m), ("gpt-4o", 0.15m) };
        foreach (var (model, markup) in changes)
        {
            await db.Pricing.SetOverrideAsync(Admin(tenant, admin), model, new PriceOverrideInput(Markup: markup), Ct);
        }

        var all = await db.Pricing.ListHistoryAsync(Admin(tenant), cancellationToken: Ct);

        Assert.Null(all.NextCursor);
        Assert.Equal(changes.Reverse().Select(c => (c.Model, (decimal?)c.Markup)), all.Items.Select(h => (h.ModelId, h.NewMarkup)));
        Assert.All(all.Items, h => Assert.Equal((PriceChangeSource.Admin, (Guid?)admin), (h.Source, h.ChangedBy)));
        Assert.True(all.Items.Zip(all.Items.Skip(1)).All(p => p.First.CreatedAt >= p.Second.CreatedAt), "newest first");
        Assert.Equal((0.20m, 0.15m), (all.Items[0].PreviousMarkup, all.Items[0].NewMarkup));

        var first = await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(Limit: 2), cancellationToken: Ct);
        var second = await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(first.NextCursor, 2), cancellationToken: Ct);
        var third = await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(second.NextCursor, 2), cancellationToken: Ct);
        Assert.Equal((2, 2, 1), (first.Items.Count, second.Items.Count, third.Items.Count));
        Assert.NotNull(first.NextCursor);
        Assert.NotNull(second.NextCursor);
        Assert.Null(third.NextCursor);
        Assert.Equal(all.Items.Select(h => h.Id), first.Items.Concat(second.Items).Concat(third.Items).Select(h => h.Id));
        var exact = await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(Limit: 5), cancellationToken: Ct);
        Assert.Equal(5, exact.Items.Count);
        Assert.Null(exact.NextCursor);
        // A change made after the first page was read comes first next time, not as a repeat on the second page.
        await db.Pricing.SetOverrideAsync(Admin(tenant, admin), "o1", new PriceOverrideInput(Markup: 0.05m), Ct);
        var afterChange = await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(first.NextCursor, 2), cancellationToken: Ct);
        Assert.Equal(second.Items.Select(h => h.Id), afterChange.Items.Select(h => h.Id));

        var gpt4o = await db.Pricing.ListHistoryAsync(Admin(tenant), "gpt-4o", cancellationToken: Ct);
        Assert.Equal([0.15m, 0.20m, 0.30m], gpt4o.Items.Select(h => h.NewMarkup!.Value));
        Assert.All(gpt4o.Items, h => Assert.Equal("gpt-4o", h.ModelId));
        var gpt4oFirst = await db.Pricing.ListHistoryAsync(Admin(tenant), "gpt-4o", new PageRequest(Limit: 1), Ct);
        var gpt4oSecond = await db.Pricing.ListHistoryAsync(Admin(tenant), "gpt-4o", new PageRequest(gpt4oFirst.NextCursor, 1), Ct);
        Assert.Equal(0.20m, gpt4oSecond.Items.Single().NewMarkup!.Value);
        Assert.NotNull(gpt4oSecond.NextCursor);
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(tenant), "claude-4-opus", cancellationToken: Ct)).Items);
    }

    [Theory]
    [InlineData("not a cursor", 10, "cursor")]
    [InlineData(null, 0, "limit")]
    [InlineData(null, 201, "limit")]
    public async Task A_bad_history_page_is_rejected(string? cursor, int limit, string field)
    {
        var tenant = await db.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(cursor, limit), cancellationToken: Ct));

        Assert.Equal([field], error.Errors.Keys);
    }
}
