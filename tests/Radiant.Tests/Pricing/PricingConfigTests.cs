using System.Globalization;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>The per-tenant pricing configuration (seed 31.3 / 31.7): defaults, partial updates, validation.</summary>
public sealed class PricingConfigTests(PricingDatabase db) : IClassFixture<PricingDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pricing_and_model_switches_are_refused_to_users_who_are_not_tenant_admins()
    {
        var user = await db.NewUserAsync();
        var calls = new Func<Task>[]
        {
            () => db.Pricing.GetConfigAsync(user, Ct),
            () => db.Pricing.UpdateConfigAsync(user, new PricingConfigUpdate { ExternalDefaultMarkup = 0 }, Ct),
            () => db.Pricing.ListModelPricesAsync(user, Ct),
            () => db.Pricing.SetOverrideAsync(user, "gpt-4o", new PriceOverrideInput(Markup: 0), Ct),
            () => db.Pricing.RemoveOverrideAsync(user, "gpt-4o", Ct),
            () => db.Pricing.BulkUpdateMarkupAsync(user, new BulkMarkupUpdate(ModelHosting.External, 0), Ct),
            () => db.Pricing.ListHistoryAsync(user, cancellationToken: Ct),
            () => db.Registry.ListModelsAsync(user, cancellationToken: Ct),
            () => db.Registry.SetEnabledAsync(user, "gpt-4o", false, Ct),
            () => db.Registry.SetThinkTankEnabledAsync(user, "gpt-4o", false, Ct),
        };

        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<RadiantForbiddenException>(call);
        }

        var admin = user.AsTenantAdmin();
        Assert.Equal(TenantPricingConfig.Default, await db.Pricing.GetConfigAsync(admin, Ct));
        Assert.Empty((await db.Pricing.ListHistoryAsync(admin, cancellationToken: Ct)).Items);
        Assert.All(await db.Registry.ListModelsAsync(admin, cancellationToken: Ct), m => Assert.True(m.IsEnabled));
    }

    [Fact]
    public async Task A_new_tenant_gets_the_seed_defaults()
    {
        var tenant = await db.NewTenantAsync();

        var config = await db.Pricing.GetConfigAsync(Admin(tenant), Ct);

        Assert.Equal(0.40m, config.ExternalDefaultMarkup);
        Assert.Equal(0.75m, config.SelfHostedDefaultMarkup);
        Assert.Equal(0.001m, config.MinimumChargePerRequest);
        Assert.Equal(24, config.PriceIncreaseGracePeriodHours);
        Assert.True(config.AutoUpdateFromProviders);
        Assert.Equal(PriceUpdateFrequency.Daily, config.AutoUpdateFrequency);
        Assert.True(config.NotifyOnPriceChange);
        Assert.Equal(10m, config.NotifyThresholdPercent);
        Assert.Equal(TenantPricingConfig.Default, config);
    }

    [Fact]
    public async Task The_database_defaults_of_a_config_row_are_the_seed_defaults()
    {
        var tenant = await db.NewTenantAsync();

        // The first write creates the row from the table's defaults; changing nothing must read back the defaults.
        var written = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate(), Ct);

        Assert.Equal(TenantPricingConfig.Default, written);
        Assert.Equal(TenantPricingConfig.Default, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.pricing_config WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task Updating_the_config_is_partial_and_keeps_unset_fields()
    {
        var tenant = await db.NewTenantAsync();

        var first = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { PriceIncreaseGracePeriodHours = 12, NotifyOnPriceChange = false }, Ct);
        var second = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { ExternalDefaultMarkup = 0.55m, AutoUpdateFrequency = PriceUpdateFrequency.Weekly }, Ct);
        var third = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { MinimumChargePerRequest = 0.005m, NotifyThresholdPercent = 25.5m }, Ct);

        Assert.Equal(TenantPricingConfig.Default with { PriceIncreaseGracePeriodHours = 12, NotifyOnPriceChange = false }, first);
        var expected = TenantPricingConfig.Default with
        {
            PriceIncreaseGracePeriodHours = 12,
            NotifyOnPriceChange = false,
            ExternalDefaultMarkup = 0.55m,
            AutoUpdateFrequency = PriceUpdateFrequency.Weekly,
            MinimumChargePerRequest = 0.005m,
            NotifyThresholdPercent = 25.5m,
        };
        Assert.Equal(expected with { MinimumChargePerRequest = 0.001m, NotifyThresholdPercent = 10m }, second);
        Assert.Equal(expected, third);
        Assert.Equal(expected, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
        Assert.Equal(0.75m, third.SelfHostedDefaultMarkup);
        Assert.True(third.AutoUpdateFromProviders);
    }

    [Theory]
    [InlineData("externalDefaultMarkup", "-0.1")]
    [InlineData("externalDefaultMarkup", "10")]
    [InlineData("externalDefaultMarkup", "0.12345")]
    [InlineData("selfHostedDefaultMarkup", "-0.1")]
    [InlineData("selfHostedDefaultMarkup", "10")]
    [InlineData("selfHostedDefaultMarkup", "0.12345")]
    [InlineData("priceIncreaseGracePeriodHours", "169")]
    [InlineData("priceIncreaseGracePeriodHours", "-1")]
    [InlineData("minimumChargePerRequest", "-1")]
    [InlineData("minimumChargePerRequest", "0.0000001")]
    [InlineData("notifyThresholdPercent", "101")]
    [InlineData("notifyThresholdPercent", "-1")]
    public async Task Out_of_range_config_is_rejected_naming_the_field_and_nothing_is_stored(string field, string value)
    {
        var tenant = await db.NewTenantAsync();
        var number = decimal.Parse(value, CultureInfo.InvariantCulture);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Pricing.UpdateConfigAsync(Admin(tenant), Update(field, number), Ct));

        Assert.Equal([field], error.Errors.Keys);
        Assert.Equal(TenantPricingConfig.Default, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM radiant.pricing_config WHERE tenant_id = @t", ("t", tenant)));
        Assert.Empty((await db.Pricing.ListHistoryAsync(Admin(tenant), cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task A_rejected_update_names_every_bad_field_and_keeps_the_stored_config()
    {
        var tenant = await db.NewTenantAsync();
        var stored = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate { ExternalDefaultMarkup = 0.5m, PriceIncreaseGracePeriodHours = 6 }, Ct);
        var history = (await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(Limit: PageRequest.MaxLimit), cancellationToken: Ct)).Items;

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate
        {
            ExternalDefaultMarkup = 0.6m, // valid, but the update is all or nothing
            SelfHostedDefaultMarkup = 10m,
            PriceIncreaseGracePeriodHours = 169,
            MinimumChargePerRequest = -1m,
            NotifyThresholdPercent = 101m,
        }, Ct));

        Assert.Equal(
            ["minimumChargePerRequest", "notifyThresholdPercent", "priceIncreaseGracePeriodHours", "selfHostedDefaultMarkup"],
            error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(stored, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
        Assert.Equal(history, (await db.Pricing.ListHistoryAsync(Admin(tenant), page: new PageRequest(Limit: PageRequest.MaxLimit), cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task The_extremes_of_every_range_are_accepted()
    {
        var tenant = await db.NewTenantAsync();

        var low = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate
        {
            ExternalDefaultMarkup = 0m, SelfHostedDefaultMarkup = 0m, PriceIncreaseGracePeriodHours = 0, MinimumChargePerRequest = 0m, NotifyThresholdPercent = 0m,
        }, Ct);
        var high = await db.Pricing.UpdateConfigAsync(Admin(tenant), new PricingConfigUpdate
        {
            ExternalDefaultMarkup = 9.9999m, SelfHostedDefaultMarkup = 9.9999m, PriceIncreaseGracePeriodHours = 168, MinimumChargePerRequest = 0.000001m, NotifyThresholdPercent = 100m,
        }, Ct);

        Assert.Equal(0m, low.ExternalDefaultMarkup);
        Assert.Equal(0, low.PriceIncreaseGracePeriodHours);
        Assert.Equal(9.9999m, high.ExternalDefaultMarkup);
        Assert.Equal(168, high.PriceIncreaseGracePeriodHours);
        Assert.Equal(high, await db.Pricing.GetConfigAsync(Admin(tenant), Ct));
    }

    private static PricingConfigUpdate Update(string field, decimal value) => field switch
    {
        "externalDefaultMarkup" => new PricingConfigUpdate { ExternalDefaultMarkup = value },
        "selfHostedDefaultMarkup" => new PricingConfigUpdate { SelfHostedDefaultMarkup = value },
        "priceIncreaseGracePeriodHours" => new PricingConfigUpdate { PriceIncreaseGracePeriodHours = (int)value },
        "minimumChargePerRequest" => new PricingConfigUpdate { MinimumChargePerRequest = value },
        "notifyThresholdPercent" => new PricingConfigUpdate { NotifyThresholdPercent = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };
}
