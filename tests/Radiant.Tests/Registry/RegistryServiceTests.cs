using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Postgres.Hosting;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tests.Pricing;

namespace Radiant.Tests.Registry;

/// <summary>
/// The registry against PostgreSQL: an idempotent catalogue sync that carries provider price changes to tenants (a
/// drop at once, a rise after the grace period, nothing for tenants that turned auto-update off) and never touches
/// admin pricing; and the per-tenant model switches. Tests that change the catalogue take a database of their own.
/// </summary>
public sealed class RegistryServiceTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    // gpt-4o lists at 2.50 / 10.00 per 1M tokens; users pay 3.50 / 14.00 at the default 0.40 markup.
    private const string Model = "gpt-4o";
    private const int Million = 1_000_000;

    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);
    private static readonly PageRequest All = new(Limit: PageRequest.MaxLimit);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_up_synced_the_built_in_catalogue_and_syncing_it_again_changes_nothing()
    {
        var tenant = await db.NewTenantAsync();
        Assert.Equal(32L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.models"));
        Assert.Equal(17L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.providers"));
        var models = await ReadModelRowsAsync(db);
        var history = await db.ScalarAsync<long>("SELECT count(*) FROM radiant.price_history");

        var result = await db.Registry.SyncAsync(BuiltInCatalog.Catalog, Ct);

        Assert.True(result.IsNoOp, result.ToString());
        Assert.Equal(new ModelSyncResult(0, 0, 0, 0, 0, 0, 0), result);
        Assert.Equal(models, await ReadModelRowsAsync(db));
        Assert.Equal(history, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.price_history"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.tenant_base_prices"));
        Assert.Equal(3.500000m, db.Engine.Quote(tenant, Model, Million, 0).Charge);
    }

    [Fact]
    public async Task The_synced_catalogue_is_what_a_tenant_lists()
    {
        var tenant = await db.NewTenantAsync();

        var models = await db.Registry.ListModelsAsync(Admin(tenant), cancellationToken: Ct);

        Assert.Equal(
            BuiltInCatalog.Catalog.Models.OrderBy(m => m.DisplayOrder).ThenBy(m => m.Id, StringComparer.Ordinal).Select(m => m.Id),
            models.Select(m => m.Definition.Id));
        Assert.All(models, m => Assert.True(m.IsEnabled));
        foreach (var model in models)
        {
            var expected = Assert.Single(BuiltInCatalog.Catalog.Models, c => c.Id == model.Definition.Id);
            Assert.Equal(
                (expected.ProviderId, expected.DisplayName, expected.ContextWindow, expected.MaxOutputTokens, expected.InputPricePer1M, expected.OutputPricePer1M),
                (model.Definition.ProviderId, model.Definition.DisplayName, model.Definition.ContextWindow, model.Definition.MaxOutputTokens, model.Definition.InputPricePer1M, model.Definition.OutputPricePer1M));
            Assert.Equal(expected.Modalities, model.Definition.Modalities);
            Assert.Equal(expected.Capabilities, model.Definition.Capabilities);
            Assert.Equal((expected.IsNovel, expected.Category, expected.ThinkTankEnabled, expected.DisplayOrder), (model.Definition.IsNovel, model.Definition.Category, model.Definition.ThinkTankEnabled, model.Definition.DisplayOrder));
            Assert.Equal(expected.ThinkTankEnabled, model.ThinkTankEnabled);
        }
    }

    [Fact]
    public async Task A_changed_description_is_updated_without_touching_prices()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var tenant = await own.NewTenantAsync();
        var renamed = BuiltInCatalog.Catalog with
        {
            Models = [.. BuiltInCatalog.Catalog.Models.Select(m => m.Id == Model ? m with { DisplayName = "GPT-4o (2025)", ContextWindow = 256000 } : m)],
        };

        var result = await own.Registry.SyncAsync(renamed, Ct);
        var again = await own.Registry.SyncAsync(renamed, Ct);

        Assert.Equal(new ModelSyncResult(0, 0, 0, 1, 0, 0, 0), result);
        Assert.True(again.IsNoOp, again.ToString());
        var listed = Assert.Single(await own.Registry.ListModelsAsync(Admin(tenant), cancellationToken: Ct), m => m.Definition.Id == Model);
        Assert.Equal(("GPT-4o (2025)", 256000, 2.50m), (listed.Definition.DisplayName, listed.Definition.ContextWindow, listed.Definition.InputPricePer1M));
        Assert.Empty((await own.Pricing.ListHistoryAsync(Admin(tenant), cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task A_provider_price_drop_reaches_auto_update_tenants_at_once_and_no_other_tenant()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var follower = await own.NewTenantAsync();
        var pinned = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(pinned), new PricingConfigUpdate { AutoUpdateFromProviders = false }, Ct);

        var before = DateTimeOffset.UtcNow;
        var result = await own.Registry.SyncAsync(Catalogs.WithPrice(Model, 2.00m, 8.00m), Ct);
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(new ModelSyncResult(0, 0, 0, 0, 1, 1, 1), result);
        Assert.False(result.IsNoOp);

        // The follower pays the new price at once.
        var quote = await Eventually.QuoteAsync(own.Engine, follower, Model, Million, Million, q => q.BaseCost == 10.00m);
        Assert.Equal((10.00m, 2.800000m, 11.200000m, 14.000000m), (quote.BaseCost, quote.UserInputPricePer1M, quote.UserOutputPricePer1M, quote.Charge));
        var followerPrice = Assert.Single(await own.Pricing.ListModelPricesAsync(Admin(follower), Ct), p => p.ModelId == Model);
        Assert.Equal((2.00m, 8.00m, 2.800000m, false), (followerPrice.BaseInputPricePer1M, followerPrice.BaseOutputPricePer1M, followerPrice.UserInputPricePer1M, followerPrice.HasOverride));
        var entry = Assert.Single((await own.Pricing.ListHistoryAsync(Admin(follower), cancellationToken: Ct)).Items);
        Assert.Equal((PriceChangeSource.AutoSync, Model, (Guid?)null), (entry.Source, entry.ModelId, entry.ChangedBy));
        Assert.Equal((2.50m, 10.00m, 0.40m), (entry.PreviousInputPricePer1M, entry.PreviousOutputPricePer1M, entry.PreviousMarkup));
        Assert.Equal((2.00m, 8.00m, 0.40m), (entry.NewInputPricePer1M, entry.NewOutputPricePer1M, entry.NewMarkup));
        Assert.InRange(entry.EffectiveFrom, before - Tolerance, after + Tolerance);

        // The tenant with auto-update off keeps its price, now and later, and has no history.
        Assert.Equal(3.500000m, own.Engine.Quote(pinned, Model, Million, 0).Charge);
        Assert.Equal(3.500000m, own.Engine.Quote(pinned, Model, Million, 0, DateTimeOffset.UtcNow.AddDays(10)).Charge);
        var pinnedPrice = Assert.Single(await own.Pricing.ListModelPricesAsync(Admin(pinned), Ct), p => p.ModelId == Model);
        Assert.Equal((2.50m, 10.00m, 3.500000m), (pinnedPrice.BaseInputPricePer1M, pinnedPrice.BaseOutputPricePer1M, pinnedPrice.UserInputPricePer1M));
        Assert.Empty((await own.Pricing.ListHistoryAsync(Admin(pinned), cancellationToken: Ct)).Items);

        // The catalogue itself shows the new list price to everyone.
        Assert.Equal(2.00m, Assert.Single(await own.Registry.ListModelsAsync(Admin(pinned), cancellationToken: Ct), m => m.Definition.Id == Model).Definition.InputPricePer1M);

        // Other models did not move.
        Assert.Equal(4.200000m, own.Engine.Quote(follower, "claude-4-sonnet", Million, 0).Charge);
    }

    [Fact]
    public async Task A_provider_price_rise_reaches_auto_update_tenants_only_after_their_grace_period()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var follower = await own.NewTenantAsync();
        var pinned = await own.NewTenantAsync();
        var quick = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(pinned), new PricingConfigUpdate { AutoUpdateFromProviders = false }, Ct);
        await own.Pricing.UpdateConfigAsync(Admin(quick), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 2 }, Ct);

        var before = DateTimeOffset.UtcNow;
        var result = await own.Registry.SyncAsync(Catalogs.WithPrice(Model, 3.00m, 12.00m), Ct);
        var after = DateTimeOffset.UtcNow;

        Assert.Equal((1, 2), (result.PriceChanges, result.TenantPriceUpdates));
        var entry = Assert.Single((await own.Pricing.ListHistoryAsync(Admin(follower), cancellationToken: Ct)).Items);
        Assert.Equal(PriceChangeSource.AutoSync, entry.Source);
        Assert.Equal((2.50m, 10.00m, 3.00m, 12.00m), (entry.PreviousInputPricePer1M, entry.PreviousOutputPricePer1M, entry.NewInputPricePer1M, entry.NewOutputPricePer1M));
        Assert.InRange(entry.EffectiveFrom, before.AddHours(24) - Tolerance, after.AddHours(24) + Tolerance);

        // After the grace period the follower pays the new price; until then, the old one.
        var afterGrace = after.AddHours(24).AddMinutes(1);
        await own.Engine.RefreshAsync(Ct);
        var snapshot = await Eventually.SnapshotAsync(own.Engine, s => s.Quote(follower, Model, Million, Million, afterGrace).BaseCost == 15.00m);
        var raised = snapshot.Quote(follower, Model, Million, Million, afterGrace);
        Assert.Equal((15.00m, 4.200000m, 16.800000m, 21.000000m), (raised.BaseCost, raised.UserInputPricePer1M, raised.UserOutputPricePer1M, raised.Charge));
        var now = snapshot.Quote(follower, Model, Million, Million, DateTimeOffset.UtcNow);
        Assert.Equal((12.50m, 3.500000m, 17.500000m), (now.BaseCost, now.UserInputPricePer1M, now.Charge));
        Assert.Equal(17.500000m, snapshot.Quote(follower, Model, Million, Million, entry.EffectiveFrom.AddTicks(-1)).Charge);
        Assert.Equal(21.000000m, snapshot.Quote(follower, Model, Million, Million, entry.EffectiveFrom).Charge);
        var listed = Assert.Single(await own.Pricing.ListModelPricesAsync(Admin(follower), Ct), p => p.ModelId == Model);
        Assert.Equal((2.50m, 3.500000m), (listed.BaseInputPricePer1M, listed.UserInputPricePer1M));

        // A 2 h grace period means 2 h.
        Assert.Equal(17.500000m, snapshot.Quote(quick, Model, Million, Million, before.AddHours(2).AddMinutes(-1)).Charge);
        Assert.Equal(21.000000m, snapshot.Quote(quick, Model, Million, Million, after.AddHours(2).AddMinutes(1)).Charge);

        // Auto-update off: the old price for good, and no history.
        Assert.Equal(17.500000m, snapshot.Quote(pinned, Model, Million, Million, afterGrace).Charge);
        Assert.Equal(17.500000m, snapshot.Quote(pinned, Model, Million, Million, afterGrace.AddDays(365)).Charge);
        Assert.Empty((await own.Pricing.ListHistoryAsync(Admin(pinned), cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Syncing_the_same_changed_catalogue_again_is_a_no_op()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var follower = await own.NewTenantAsync();
        var pinned = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(pinned), new PricingConfigUpdate { AutoUpdateFromProviders = false }, Ct);
        var changed = Catalogs.WithPrice(Model, 3.00m, 12.00m);
        await own.Registry.SyncAsync(changed, Ct);
        var models = await ReadModelRowsAsync(own);
        var basePrices = await own.ScalarAsync<long>("SELECT count(*) FROM radiant.tenant_base_prices");
        var history = await own.ScalarAsync<long>("SELECT count(*) FROM radiant.price_history");
        var snapshot = await own.Engine.RefreshAsync(Ct);

        var again = await own.Registry.SyncAsync(changed, Ct);

        Assert.True(again.IsNoOp, again.ToString());
        Assert.Equal(new ModelSyncResult(0, 0, 0, 0, 0, 0, 0), again);
        Assert.Equal(models, await ReadModelRowsAsync(own));
        Assert.Equal(basePrices, await own.ScalarAsync<long>("SELECT count(*) FROM radiant.tenant_base_prices"));
        Assert.Equal(history, await own.ScalarAsync<long>("SELECT count(*) FROM radiant.price_history"));
        var reloaded = await own.Engine.RefreshAsync(Ct);
        var later = DateTimeOffset.UtcNow.AddDays(2);
        foreach (var tenant in new[] { follower, pinned })
        {
            Assert.Equal(snapshot.Quote(tenant, Model, Million, Million, DateTimeOffset.UtcNow), reloaded.Quote(tenant, Model, Million, Million, DateTimeOffset.UtcNow));
            Assert.Equal(snapshot.Quote(tenant, Model, Million, Million, later), reloaded.Quote(tenant, Model, Million, Million, later));
        }
    }

    [Theory]
    [InlineData("2.50", "10.00")] // the provider takes the rise back
    [InlineData("2.00", "8.00")] // the provider cuts below the old price
    public async Task A_later_provider_price_replaces_a_rise_still_in_its_grace_period(string input, string output)
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var tenant = await own.NewTenantAsync();
        var inputPrice = decimal.Parse(input, System.Globalization.CultureInfo.InvariantCulture);
        var outputPrice = decimal.Parse(output, System.Globalization.CultureInfo.InvariantCulture);
        await own.Registry.SyncAsync(Catalogs.WithPrice(Model, 3.00m, 12.00m), Ct);

        await own.Registry.SyncAsync(Catalogs.WithPrice(Model, inputPrice, outputPrice), Ct);

        // The provider now charges inputPrice / outputPrice; the rise it took back must never reach the tenant.
        var expected = PricingRules.Reference(inputPrice, outputPrice, 0.40m, 0.001m, Million, Million, false);
        var now = await Eventually.QuoteAsync(own.Engine, tenant, Model, Million, Million, q => q.Charge == expected.Charge);
        Assert.Equal(expected.Charge, now.Charge);
        await own.Engine.RefreshAsync(Ct);
        var afterGrace = own.Engine.Quote(tenant, Model, Million, Million, DateTimeOffset.UtcNow.AddHours(25));
        Assert.Equal(expected.Charge, afterGrace.Charge);
        Assert.Equal(expected.BaseCost, afterGrace.BaseCost);
    }

    [Fact]
    public async Task A_change_above_the_threshold_notifies_each_tenant_with_auto_update_and_notify_on()
    {
        var notifier = new CollectingNotifier();
        await using var own = await PricingDatabase.CreateAsync(db.Server, services => services.AddSingleton<IPriceChangeNotifier>(notifier));
        var first = await own.NewTenantAsync();
        var second = await own.NewTenantAsync();
        var pinned = await own.NewTenantAsync();
        var quiet = await own.NewTenantAsync();
        var tolerant = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(pinned), new PricingConfigUpdate { AutoUpdateFromProviders = false }, Ct);
        await own.Pricing.UpdateConfigAsync(Admin(quiet), new PricingConfigUpdate { NotifyOnPriceChange = false }, Ct);
        await own.Pricing.UpdateConfigAsync(Admin(tolerant), new PricingConfigUpdate { NotifyThresholdPercent = 50m }, Ct);
        Assert.Empty(notifier.Received);

        var before = DateTimeOffset.UtcNow;
        var result = await own.Registry.SyncAsync(Catalogs.WithPrice(Model, 3.00m, 10.00m), Ct); // input +20 %
        var after = DateTimeOffset.UtcNow;

        Assert.Equal((4, 2), (result.TenantPriceUpdates, result.Notifications));
        await own.OutboxDrainedAsync();
        Assert.Equal(new[] { first, second }.Order(), notifier.Received.Select(n => n.TenantId).Order());
        Assert.All(notifier.Received, n =>
        {
            Assert.Equal((Model, 2.50m, 10.00m, 3.00m, 10.00m, 20m), (n.ModelId, n.PreviousInputPricePer1M, n.PreviousOutputPricePer1M, n.NewInputPricePer1M, n.NewOutputPricePer1M, n.ChangePercent));
            Assert.InRange(n.EffectiveFrom, before.AddHours(24) - Tolerance, after.AddHours(24) + Tolerance);
        });
    }

    [Fact]
    public async Task A_notifier_that_throws_never_fails_the_sync_and_is_retried_until_it_succeeds()
    {
        var notifier = new CollectingNotifier(failures: 2);
        await using var own = await PricingDatabase.CreateAsync(db.Server, services =>
        {
            services.AddSingleton<IPriceChangeNotifier>(notifier);
            services.Configure<RadiantPostgresOptions>(o => o.NotificationRetryDelay = TimeSpan.FromMilliseconds(20));
        });
        var tenant = await own.NewTenantAsync();

        // The sync commits and returns although the host's notifier is failing.
        var result = await own.Registry.SyncAsync(Catalogs.WithPrice(Model, 3.00m, 10.00m), Ct);

        Assert.Equal(1, result.Notifications);
        await own.OutboxDrainedAsync();
        Assert.Equal(3, notifier.Calls);
        Assert.Equal(tenant, Assert.Single(notifier.Received).TenantId);
    }

    [Fact]
    public async Task A_notification_queued_by_a_change_that_rolls_back_is_never_delivered()
    {
        var notifier = new CollectingNotifier();
        await using var own = await PricingDatabase.CreateAsync(db.Server, services => services.AddSingleton<IPriceChangeNotifier>(notifier));
        var tenant = await own.NewTenantAsync();
        var kernel = own.Services.GetRequiredService<Radiant.Postgres.Tenancy.RadiantDb>();
        var outbox = own.Services.GetRequiredService<Radiant.Postgres.Notifications.Outbox>();
        var notification = new PriceChangeNotification(tenant, Model, 2.50m, 10m, 3m, 10m, 20m, DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<InvalidOperationException>(() => kernel.InTenantAsync<int>(tenant, null, async (connection, transaction) =>
        {
            await outbox.AddAsync(connection, transaction, notification, Ct);
            throw new InvalidOperationException("the change fails after queueing its notification");
        }, Ct));
        await kernel.InTenantAsync(tenant, null, async (connection, transaction) =>
        {
            await outbox.AddAsync(connection, transaction, notification with { ModelId = "o1" }, Ct);
            return 0;
        }, Ct);

        await own.OutboxDrainedAsync();
        Assert.Equal("o1", Assert.Single(notifier.Received).ModelId);
    }

    [Fact]
    public async Task A_change_at_or_below_the_threshold_notifies_nobody()
    {
        var notifier = new CollectingNotifier();
        await using var own = await PricingDatabase.CreateAsync(db.Server, services => services.AddSingleton<IPriceChangeNotifier>(notifier));
        var tenant = await own.NewTenantAsync();

        var smallCatalog = Catalogs.WithPrice("claude-4-sonnet", 3.15m, 15.00m); // input +5 %
        var dropCatalog = Catalogs.WithPrice("claude-4-sonnet", 3.00m, 14.25m); // input back, output -5 %
        var small = await own.Registry.SyncAsync(smallCatalog, Ct);
        var drop = await own.Registry.SyncAsync(dropCatalog, Ct);
        var exactly = await own.Registry.SyncAsync(Catalogs.WithPrice(dropCatalog, "grok-3", 3.30m, 15.00m), Ct); // +10 % is not above 10 %

        Assert.Equal((1, 1, 1), (small.TenantPriceUpdates, drop.TenantPriceUpdates, exactly.TenantPriceUpdates));
        Assert.Equal((0, 0, 0), (small.Notifications, drop.Notifications, exactly.Notifications));
        await own.OutboxDrainedAsync();
        Assert.Empty(notifier.Received);
        Assert.Equal(3, (await own.Pricing.ListHistoryAsync(Admin(tenant), cancellationToken: Ct)).Items.Count(h => h.Source == PriceChangeSource.AutoSync));
    }

    [Fact]
    public async Task Sync_never_overwrites_admin_pricing()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var tenant = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { ExternalDefaultMarkup = 0.50m, MinimumChargePerRequest = 0.002m }, Ct);
        var set = await own.Pricing.SetOverrideAsync(Admin(tenant), Model, new PriceOverrideInput(Markup: 0.30m, InputPricePer1M: 2.20m), Ct);
        Assert.True(set.HasOverride);
        var config = await own.Pricing.GetConfigAsync(Admin(tenant), Ct);
        var overrides = await ReadOverrideRowsAsync(own);

        // The provider cuts both prices, and raises another model's.
        var cut = Catalogs.WithPrice(Model, 2.00m, 8.00m);
        await own.Registry.SyncAsync(cut with { Models = [.. cut.Models.Select(m => m.Id == "o1" ? m with { InputPricePer1M = 20.00m } : m)] }, Ct);

        Assert.Equal(overrides, await ReadOverrideRowsAsync(own));
        Assert.Equal(config, await own.Pricing.GetConfigAsync(Admin(tenant), Ct));
        var price = Assert.Single(await own.Pricing.ListModelPricesAsync(Admin(tenant), Ct), p => p.ModelId == Model);
        Assert.Equal(set.Override, price.Override);
        // The override's input price and markup stand; its output price was never overridden, so it follows the provider.
        Assert.Equal((true, 2.20m, 8.00m, 0.30m, 2.860000m, 10.400000m),
            (price.HasOverride, price.BaseInputPricePer1M, price.BaseOutputPricePer1M, price.EffectiveMarkup, price.UserInputPricePer1M, price.UserOutputPricePer1M));
        var quote = await Eventually.QuoteAsync(own.Engine, tenant, Model, Million, Million, q => q.UserOutputPricePer1M == 10.400000m);
        Assert.Equal((true, 0.30m, 2.860000m, 13.260000m), (quote.OverrideApplied, quote.EffectiveMarkup, quote.UserInputPricePer1M, quote.Charge));
    }

    [Fact]
    public async Task Disabling_a_model_hides_it_from_the_enabled_list_of_that_tenant_only()
    {
        var tenant = await db.NewTenantAsync();
        var other = await db.NewTenantAsync();

        var disabled = await db.Registry.SetEnabledAsync(Admin(tenant), Model, false, Ct);

        Assert.Equal((Model, false, true), (disabled.Definition.Id, disabled.IsEnabled, disabled.ThinkTankEnabled));
        var enabled = await db.Registry.ListModelsAsync(Admin(tenant), enabled: true, Ct);
        Assert.Equal(31, enabled.Count);
        Assert.DoesNotContain(enabled, m => m.Definition.Id == Model);
        Assert.Equal(Model, Assert.Single(await db.Registry.ListModelsAsync(Admin(tenant), enabled: false, Ct)).Definition.Id);
        Assert.Equal(32, (await db.Registry.ListModelsAsync(Admin(tenant), cancellationToken: Ct)).Count);
        Assert.Equal(32, (await db.Registry.ListModelsAsync(Admin(other), enabled: true, Ct)).Count);
        Assert.Empty(await db.Registry.ListModelsAsync(Admin(other), enabled: false, Ct));

        var again = await db.Registry.SetEnabledAsync(Admin(tenant), Model, true, Ct);

        Assert.True(again.IsEnabled);
        Assert.Equal(32, (await db.Registry.ListModelsAsync(Admin(tenant), enabled: true, Ct)).Count);
    }

    [Fact]
    public async Task The_think_tank_switch_toggles_for_that_tenant_only()
    {
        var tenant = await db.NewTenantAsync();
        var other = await db.NewTenantAsync();
        var offByDefault = BuiltInCatalog.Catalog.Models.First(m => !m.ThinkTankEnabled).Id;

        var off = await db.Registry.SetThinkTankEnabledAsync(Admin(tenant), Model, false, Ct);
        var on = await db.Registry.SetThinkTankEnabledAsync(Admin(tenant), offByDefault, true, Ct);

        Assert.Equal((false, true), (off.ThinkTankEnabled, off.IsEnabled));
        Assert.True(on.ThinkTankEnabled);
        var mine = await db.Registry.ListModelsAsync(Admin(tenant), cancellationToken: Ct);
        Assert.False(mine.Single(m => m.Definition.Id == Model).ThinkTankEnabled);
        Assert.True(mine.Single(m => m.Definition.Id == offByDefault).ThinkTankEnabled);
        // The catalogue's default is unchanged, and so is every other tenant.
        Assert.True(mine.Single(m => m.Definition.Id == Model).Definition.ThinkTankEnabled);
        var theirs = await db.Registry.ListModelsAsync(Admin(other), cancellationToken: Ct);
        Assert.True(theirs.Single(m => m.Definition.Id == Model).ThinkTankEnabled);
        Assert.False(theirs.Single(m => m.Definition.Id == offByDefault).ThinkTankEnabled);

        var back = await db.Registry.SetThinkTankEnabledAsync(Admin(tenant), Model, true, Ct);

        Assert.True(back.ThinkTankEnabled);
        Assert.True((await db.Registry.ListModelsAsync(Admin(tenant), cancellationToken: Ct)).Single(m => m.Definition.Id == Model).ThinkTankEnabled);
    }

    [Fact]
    public async Task Switching_an_unknown_model_is_not_found()
    {
        var tenant = await db.NewTenantAsync();

        var enable = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Registry.SetEnabledAsync(Admin(tenant), "no-such-model", false, Ct));
        var thinkTank = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Registry.SetThinkTankEnabledAsync(Admin(tenant), "no-such-model", true, Ct));

        Assert.Equal(("model", "model"), (enable.Resource, thinkTank.Resource));
        Assert.Equal(32, (await db.Registry.ListModelsAsync(Admin(tenant), enabled: true, Ct)).Count);
    }

    [Fact]
    public async Task Switching_a_model_for_an_unknown_tenant_is_not_found_as_a_tenant()
    {
        var error = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Registry.SetEnabledAsync(Admin(Guid.NewGuid()), Model, false, Ct));

        Assert.Equal("tenant", error.Resource);
    }

    [Fact]
    public async Task A_sync_over_more_tenants_than_one_batch_carries_every_changed_model_to_every_tenant()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        // 300 tenants (every third with auto-update off) and all 32 models 10 % cheaper: 125 tenants per batch, 3 batches.
        await using (var owner = await own.OpenOwnerConnectionAsync())
        await using (var seed = new NpgsqlCommand(
            """
            INSERT INTO radiant.tenants (tenant_id, name) SELECT gen_random_uuid(), 'bulk ' || i FROM generate_series(1, 300) i;
            INSERT INTO radiant.pricing_config (tenant_id, auto_update_from_providers)
            SELECT tenant_id, row_number() OVER (ORDER BY tenant_id) % 3 <> 0 FROM radiant.tenants;
            """, owner))
        {
            await seed.ExecuteNonQueryAsync(Ct);
        }

        var cheaper = BuiltInCatalog.Catalog with
        {
            Models = [.. BuiltInCatalog.Catalog.Models.Select(m => m with { InputPricePer1M = m.InputPricePer1M * 0.9m, OutputPricePer1M = m.OutputPricePer1M * 0.9m })],
        };

        var result = await own.Registry.SyncAsync(cheaper, Ct);

        var changed = BuiltInCatalog.Catalog.Models.Count(m => m.InputPricePer1M + m.OutputPricePer1M > 0);
        Assert.Equal((changed, 200 * changed), (result.PriceChanges, result.TenantPriceUpdates));
        Assert.Equal(200L * changed, await own.ScalarAsync<long>("SELECT count(*) FROM radiant.price_history WHERE change_source = 'auto_sync'"));
        // Auto-update tenants hold the new price alone (the pin was pruned); the others the old price pinned at -infinity.
        Assert.Equal(200L * changed, await own.ScalarAsync<long>(
            "SELECT count(*) FROM radiant.tenant_base_prices b JOIN radiant.models m ON m.id = b.model_id WHERE b.input_price = m.input_price AND b.effective_from > '-infinity'"));
        Assert.Equal(100L * changed, await own.ScalarAsync<long>(
            "SELECT count(*) FROM radiant.tenant_base_prices b JOIN radiant.pricing_config c USING (tenant_id) WHERE NOT c.auto_update_from_providers AND b.effective_from = '-infinity'"));
        Assert.Equal(300L * changed, await own.ScalarAsync<long>("SELECT count(*) FROM radiant.tenant_base_prices"));

        // Every tenant of the last batch got its share too.
        var last = await own.ScalarAsync<Guid>("SELECT tenant_id FROM radiant.pricing_config WHERE auto_update_from_providers ORDER BY tenant_id DESC LIMIT 1");
        var snapshot = await own.Engine.RefreshAsync(Ct);
        Assert.Equal(3.150000m, snapshot.Quote(last, Model, Million, 0, DateTimeOffset.UtcNow).Charge);
    }

    [Fact]
    public async Task Carrying_list_prices_outside_a_tenant_context_is_refused()
    {
        await using var owner = await db.OpenOwnerConnectionAsync();
        await using var carry = new NpgsqlCommand(
            "SELECT * FROM radiant.carry_list_prices('{gpt-4o}', '{2.5}', '{10}', '{2}', '{8}', ARRAY[gen_random_uuid()])", owner);

        var error = await Assert.ThrowsAsync<PostgresException>(() => carry.ExecuteReaderAsync(Ct));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_sync_waits_for_a_pricing_change_holding_the_tenants_lock_and_then_prices_with_what_it_committed()
    {
        await using var own = await PricingDatabase.CreateAsync(db.Server);
        var locked = await own.NewTenantAsync();
        var free = await own.NewTenantAsync();
        await own.Pricing.UpdateConfigAsync(Admin(locked), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 24 }, Ct);

        // An admin pricing change of the locked tenant, in flight: it holds the tenant's pricing_config row lock.
        await using var admin = await own.OpenOwnerConnectionAsync();
        await using var change = await admin.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM radiant.pricing_config WHERE tenant_id = @tenant FOR UPDATE", admin, change))
        {
            lockRow.Parameters.AddWithValue("tenant", locked);
            Assert.Equal(1, await lockRow.ExecuteScalarAsync(Ct));
        }

        var before = DateTimeOffset.UtcNow;
        var sync = Task.Run(() => own.Registry.SyncAsync(Catalogs.WithPrice(Model, 3.00m, 12.00m), Ct), Ct); // a rise

        // The sync reaches the tenant and waits on the admin change's lock; it does not finish while the lock is held.
        var adminPid = admin.ProcessID;
        Assert.True(
            await Scheduling.Worker.Poll.UntilAsync(async () => sync.IsCompleted || await own.ScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE @pid = ANY(pg_blocking_pids(pid))", ("pid", adminPid)) > 0),
            "the sync neither finished nor waited for the tenant's lock");
        Assert.False(sync.IsCompleted, $"the sync finished ({sync.Status}) while the tenant's pricing lock was held");

        // The admin change drops the tenant's grace period to 0 h and commits.
        DateTimeOffset committedAt;
        await using (var update = new NpgsqlCommand(
            "UPDATE radiant.pricing_config SET price_increase_grace_period_hours = 0 WHERE tenant_id = @tenant; SELECT clock_timestamp()", admin, change))
        {
            update.Parameters.AddWithValue("tenant", locked);
            committedAt = new DateTimeOffset((DateTime)(await update.ExecuteScalarAsync(Ct))!, TimeSpan.Zero);
        }

        Assert.False(sync.IsCompleted);
        await change.CommitAsync(Ct);
        var result = await sync.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var after = DateTimeOffset.UtcNow;

        // Consistent with what the change committed: the locked tenant's rise takes effect at once (0 h grace), judged at
        // a "now" read after the lock was granted; the other tenant waits its default 24 h.
        Assert.Equal((1, 2), (result.PriceChanges, result.TenantPriceUpdates));
        var lockedEntry = Assert.Single((await own.Pricing.ListHistoryAsync(Admin(locked), cancellationToken: Ct)).Items, e => e.Source == PriceChangeSource.AutoSync);
        Assert.True(lockedEntry.EffectiveFrom >= committedAt, $"effective {lockedEntry.EffectiveFrom:O}, before the admin change committed at {committedAt:O}");
        Assert.InRange(lockedEntry.EffectiveFrom, before - Tolerance, after + Tolerance);
        var freeEntry = Assert.Single((await own.Pricing.ListHistoryAsync(Admin(free), cancellationToken: Ct)).Items, e => e.Source == PriceChangeSource.AutoSync);
        Assert.InRange(freeEntry.EffectiveFrom, before.AddHours(24) - Tolerance, after.AddHours(24) + Tolerance);
        var snapshot = await own.Engine.RefreshAsync(Ct);
        Assert.Equal(4.200000m, snapshot.Quote(locked, Model, Million, 0, DateTimeOffset.UtcNow.AddMinutes(1)).Charge);
        Assert.Equal(3.500000m, snapshot.Quote(free, Model, Million, 0, DateTimeOffset.UtcNow.AddMinutes(1)).Charge);
    }

    private static async Task<List<(string Id, DateTime UpdatedAt, DateTime PriceUpdatedAt, decimal Input, decimal Output)>> ReadModelRowsAsync(PricingDatabase database)
    {
        await using var connection = await database.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT id, updated_at, price_updated_at, input_price, output_price FROM radiant.models ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, DateTime, DateTime, decimal, decimal)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetString(0), reader.GetDateTime(1), reader.GetDateTime(2), reader.GetDecimal(3), reader.GetDecimal(4)));
        }

        return rows;
    }

    private static async Task<List<string>> ReadOverrideRowsAsync(PricingDatabase database)
    {
        await using var connection = await database.OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT row_to_json(o)::text FROM radiant.model_pricing_overrides o ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
