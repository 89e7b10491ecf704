using Radiant.Common;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Pricing;

/// <summary>One tenant's pricing never moves another's (the seed's view joined every tenant's config and overrides).</summary>
public sealed class TenantIsolationTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tenant_A_config_overrides_and_bulk_updates_never_change_tenant_B_prices()
    {
        var a = await db.NewTenantAsync();
        var b = await db.NewTenantAsync();
        var later = DateTimeOffset.UtcNow.AddDays(3);
        var bPrices = await db.Pricing.ListModelPricesAsync(Admin(b), Ct);
        var bNow = Quotes(b, null);
        var bLater = Quotes(b, later);

        await db.Pricing.UpdateConfigAsync(Admin(a), new PricingConfigUpdate
        {
            ExternalDefaultMarkup = 0.90m,
            SelfHostedDefaultMarkup = 0.10m,
            MinimumChargePerRequest = 0.05m,
            PriceIncreaseGracePeriodHours = 1,
            AutoUpdateFromProviders = false,
            NotifyOnPriceChange = false,
            NotifyThresholdPercent = 50m,
        }, Ct);
        await db.Pricing.SetOverrideAsync(Admin(a), "gpt-4o", new PriceOverrideInput(Markup: 0.05m), Ct);
        await db.Pricing.SetOverrideAsync(Admin(a), "claude-4-opus", new PriceOverrideInput(Markup: 2.0m), Ct);
        await db.Pricing.SetOverrideAsync(Admin(a), "o1", new PriceOverrideInput(InputPricePer1M: 1.00m, OutputPricePer1M: 1.00m), Ct);
        await db.Pricing.BulkUpdateMarkupAsync(Admin(a), new BulkMarkupUpdate(ModelHosting.External, 0.55m), Ct);
        await db.Pricing.BulkUpdateMarkupAsync(Admin(a), new BulkMarkupUpdate(ModelHosting.SelfHosted, 0.20m), Ct);
        await db.Pricing.RemoveOverrideAsync(Admin(a), "o1", Ct);

        // The engine has A's changes...
        var aQuote = await Eventually.QuoteAsync(db.Engine, a, "grok-3", 1, 0, q => q.EffectiveMarkup == 0.55m);
        Assert.Equal((0.55m, 0.05m), (aQuote.EffectiveMarkup, aQuote.Charge));
        Assert.Equal(0.05m, db.Engine.Quote(a, "gpt-4o", 1, 0).EffectiveMarkup);
        Assert.Equal(2.0m, db.Engine.Quote(a, "claude-4-opus", 1, 0, later).EffectiveMarkup);

        // ...and B's prices did not move, now or later.
        Assert.Equal(bPrices, await db.Pricing.ListModelPricesAsync(Admin(b), Ct));
        Assert.Equal(bNow, Quotes(b, null));
        Assert.Equal(bLater, Quotes(b, later));
        Assert.Equal(TenantPricingConfig.Default, await db.Pricing.GetConfigAsync(Admin(b), Ct));
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(b), cancellationToken: Ct)).Items);
        Assert.All(bNow, q => Assert.Equal((0.40m, false), (q.EffectiveMarkup, q.OverrideApplied)));

        // The database's own view, read as B with raw SQL, agrees.
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, b, null);
        Assert.Equal(32, await RawSql.CountAsync(connection, tx, "SELECT count(*) FROM radiant.effective_model_pricing WHERE effective_markup = 0.40 AND NOT has_override AND minimum_charge = 0.001"));
        Assert.Equal(0, await RawSql.CountAsync(connection, tx, "SELECT count(*) FROM radiant.effective_model_pricing WHERE effective_markup <> 0.40 OR has_override"));
    }

    [Fact]
    public async Task A_tenant_reads_only_its_own_history_and_config()
    {
        var a = await db.NewTenantAsync();
        var b = await db.NewTenantAsync();

        await db.Pricing.SetOverrideAsync(Admin(a), "gpt-4o", new PriceOverrideInput(Markup: 0.1m), Ct);
        await db.Pricing.UpdateConfigAsync(Admin(a), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 2 }, Ct);

        Assert.Single((await db.Pricing.ListHistoryAsync(Admin(a), cancellationToken: Ct)).Items);
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(b), cancellationToken: Ct)).Items);
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(b), "gpt-4o", new PageRequest(Limit: 10), Ct)).Items);
        Assert.Equal(24, (await db.Pricing.GetConfigAsync(Admin(b), Ct)).PriceIncreaseGracePeriodHours);
        Assert.DoesNotContain(await db.Pricing.ListModelPricesAsync(Admin(b), Ct), p => p.HasOverride);
    }

    private List<PriceQuote> Quotes(Guid tenant, DateTimeOffset? at) =>
        [.. BuiltInCatalog.Catalog.Models.Select(m => db.Engine.Quote(tenant, m.Id, 123_457, 98_765, at))];
}
