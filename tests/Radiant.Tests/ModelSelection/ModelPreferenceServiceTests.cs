using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Pricing;

namespace Radiant.Tests.ModelSelection;

public sealed class ModelPreferenceServiceTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IModelPreferenceService Preferences => db.Services.GetRequiredService<IModelPreferenceService>();

    private IModelRegistry Registry => db.Services.GetRequiredService<IModelRegistry>();

    private IPricingEngine Engine => db.Services.GetRequiredService<IPricingEngine>();

    /// <summary>The 30 built-in models offered in Think Tank: 15 standard, 15 novel.</summary>
    private static readonly ModelDefinition[] ThinkTankModels = [.. BuiltInCatalog.Catalog.Models.Where(m => m.ThinkTankEnabled)];

    [Fact]
    public async Task A_user_who_changed_nothing_has_the_defaults()
    {
        var user = await db.NewUserAsync();

        var preferences = await Preferences.GetAsync(user, Ct);

        Assert.Equal(ModelSelectionMode.Auto, preferences.SelectionMode);
        Assert.Null(preferences.DefaultModelId);
        Assert.Empty(preferences.FavoriteModels);
        Assert.True(preferences.ShowStandardModels);
        Assert.True(preferences.ShowNovelModels);
        Assert.False(preferences.ShowSelfHostedModels);
        Assert.True(preferences.ShowCostPerMessage);
        Assert.Null(preferences.MaxCostPerMessage);
        Assert.False(preferences.PreferCostOptimization);
        Assert.Empty(preferences.DomainModeModelOverrides);
        Assert.Empty(preferences.RecentModels);
        Assert.Null(preferences.UpdatedAt);
    }

    [Fact]
    public async Task A_partial_update_keeps_absent_fields_and_explicit_nulls_clear_the_default_model_and_the_cost_limit()
    {
        var user = await db.NewUserAsync();
        var set = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            SelectionMode = ModelSelectionMode.Manual,
            DefaultModelId = "claude-4-sonnet",
            FavoriteModels = new[] { "gpt-4o", "deepseek-r1" },
            ShowNovelModels = false,
            MaxCostPerMessage = 0.25m,
            PreferCostOptimization = true,
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.Code] = "codestral-latest", [DomainMode.Medical] = "claude-4-opus" },
        }, Ct);
        Assert.Equal((ModelSelectionMode.Manual, "claude-4-sonnet", 0.25m), (set.SelectionMode, set.DefaultModelId, set.MaxCostPerMessage));
        Assert.NotNull(set.UpdatedAt);

        var cleared = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { DefaultModelId = null, MaxCostPerMessage = (decimal?)null }, Ct);

        Assert.Null(cleared.DefaultModelId);
        Assert.Null(cleared.MaxCostPerMessage);
        // Everything the update did not name is as it was.
        Assert.Equal(ModelSelectionMode.Manual, cleared.SelectionMode);
        Assert.Equal(["gpt-4o", "deepseek-r1"], cleared.FavoriteModels);
        Assert.False(cleared.ShowNovelModels);
        Assert.True(cleared.ShowStandardModels);
        Assert.True(cleared.PreferCostOptimization);
        Assert.Equal([DomainMode.Medical, DomainMode.Code], cleared.DomainModeModelOverrides.Keys);
        Assert.Equal("codestral-latest", cleared.DomainModeModelOverrides[DomainMode.Code]);
        Assert.Equal(cleared, await Preferences.GetAsync(user, Ct) with { FavoriteModels = cleared.FavoriteModels, DomainModeModelOverrides = cleared.DomainModeModelOverrides, RecentModels = cleared.RecentModels });
    }

    [Fact]
    public async Task Null_empties_the_favourites_and_the_overrides_and_a_list_replaces_them_whole()
    {
        var user = await db.NewUserAsync();
        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            FavoriteModels = new[] { "gpt-4o", "grok-3" },
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.Code] = "codestral-latest" },
        }, Ct);

        var replaced = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { FavoriteModels = new[] { "grok-3-mini" } }, Ct);
        Assert.Equal(["grok-3-mini"], replaced.FavoriteModels);

        var cleared = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { FavoriteModels = null, DomainModeModelOverrides = null }, Ct);
        Assert.Empty(cleared.FavoriteModels);
        Assert.Empty(cleared.DomainModeModelOverrides);
    }

    [Fact]
    public async Task Every_bad_field_is_named_at_once_and_nothing_is_stored()
    {
        var user = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            SelectionMode = (ModelSelectionMode)7,
            DefaultModelId = " ",
            FavoriteModels = new[] { "gpt-4o", "", "gpt-4o", "bad\0id" },
            MaxCostPerMessage = -0.01m,
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.Code] = new string('x', 101), [(DomainMode)42] = "gpt-4o" },
        }, Ct));

        Assert.Equal(
            ["defaultModelId", "domainModeModelOverrides.42", "domainModeModelOverrides.code", "favoriteModels", "favoriteModels[2]", "favoriteModels[3]", "maxCostPerMessage", "selectionMode"],
            error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Null((await Preferences.GetAsync(user, Ct)).UpdatedAt);
    }

    [Theory]
    [InlineData(0.0000001)]
    [InlineData(10000)]
    public async Task A_cost_limit_is_micro_dollars_up_to_9999_999999(double limit)
    {
        var user = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Preferences.UpdateAsync(user, new ModelPreferencesUpdate { MaxCostPerMessage = (decimal)limit }, Ct));

        Assert.Equal(["maxCostPerMessage"], error.Errors.Keys);
        Assert.Equal(9999.999999m, (await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { MaxCostPerMessage = 9999.999999m }, Ct)).MaxCostPerMessage);
        Assert.Equal(0m, (await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { MaxCostPerMessage = 0m }, Ct)).MaxCostPerMessage);
    }

    [Fact]
    public async Task Unknown_disabled_and_withdrawn_models_are_refused_in_every_field_and_nothing_changes()
    {
        var user = await db.NewUserAsync();
        await Registry.SetEnabledAsync(Admin(user.TenantId), "gpt-4o", false, Ct);
        await Registry.SetThinkTankEnabledAsync(Admin(user.TenantId), "grok-3", false, Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            DefaultModelId = "no-such-model",
            FavoriteModels = new[] { "claude-4-sonnet", "gpt-4o" },
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.Legal] = "grok-3" },
            SelectionMode = ModelSelectionMode.Favorites,
        }, Ct));
        // grok-2 is in the registry and enabled, but not offered in Think Tank by default.
        var notOffered = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Preferences.UpdateAsync(user, new ModelPreferencesUpdate { DefaultModelId = "grok-2" }, Ct));

        Assert.Equal(["defaultModelId", "domainModeModelOverrides.legal", "favoriteModels[1]"], error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["defaultModelId"], notOffered.Errors.Keys);
        Assert.Equal(ModelPreferences.Default, await Preferences.GetAsync(user, Ct) with
        {
            FavoriteModels = ModelPreferences.Default.FavoriteModels,
            DomainModeModelOverrides = ModelPreferences.Default.DomainModeModelOverrides,
            RecentModels = ModelPreferences.Default.RecentModels,
        });
        Assert.Empty((await Preferences.GetAsync(user, Ct)).FavoriteModels);
    }

    [Fact]
    public async Task Models_an_update_leaves_where_they_were_are_not_checked_again()
    {
        var user = await db.NewUserAsync();
        var before = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            DefaultModelId = "mistral-large-2",
            FavoriteModels = new[] { "mistral-large-2", "gpt-4o-mini" },
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.General] = "mistral-large-2" },
        }, Ct);
        await Registry.SetEnabledAsync(Admin(user.TenantId), "mistral-large-2", false, Ct);

        // A client sends back what it read, with one change: accepted.
        var after = await Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            DefaultModelId = before.DefaultModelId,
            FavoriteModels = new[] { "gpt-4o-mini", "mistral-large-2" },
            DomainModeModelOverrides = new Dictionary<DomainMode, string>(before.DomainModeModelOverrides),
            ShowCostPerMessage = false,
        }, Ct);

        Assert.Equal(["gpt-4o-mini", "mistral-large-2"], after.FavoriteModels);
        Assert.False(after.ShowCostPerMessage);
        // Naming it in a new place is refused.
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.General] = "mistral-large-2", [DomainMode.Code] = "mistral-large-2" },
        }, Ct));
        Assert.Equal(["domainModeModelOverrides.code"], error.Errors.Keys);
    }

    [Fact]
    public async Task Toggling_adds_a_favourite_then_removes_it()
    {
        var user = await db.NewUserAsync();

        var added = await Preferences.ToggleFavoriteAsync(user, "gpt-4o", Ct);
        var second = await Preferences.ToggleFavoriteAsync(user, "claude-4-opus", Ct);
        var removed = await Preferences.ToggleFavoriteAsync(user, "gpt-4o", Ct);

        Assert.Equal(("gpt-4o", true), (added.ModelId, added.IsFavorite));
        Assert.Equal(["gpt-4o"], added.FavoriteModels);
        Assert.Equal(["gpt-4o", "claude-4-opus"], second.FavoriteModels);
        Assert.False(removed.IsFavorite);
        Assert.Equal(["claude-4-opus"], removed.FavoriteModels);
        Assert.Equal(["claude-4-opus"], (await Preferences.GetAsync(user, Ct)).FavoriteModels);
    }

    [Fact]
    public async Task Clients_toggling_different_favourites_at_once_all_land()
    {
        var user = await db.NewUserAsync();
        var models = ThinkTankModels.Select(m => m.Id).Take(20).ToArray();

        // Twenty toggles of twenty different models, all at once, each on its own connection.
        var results = await Task.WhenAll(models.Select(model => Task.Run(() => Preferences.ToggleFavoriteAsync(user, model, Ct), Ct)));

        // Each was an addition, and none overwrote another's.
        Assert.All(results, r => Assert.True(r.IsFavorite, r.ModelId));
        Assert.Equal(models.Order(StringComparer.Ordinal), results.Select(r => r.ModelId).Order(StringComparer.Ordinal));
        Assert.Equal(models.Order(StringComparer.Ordinal), (await Preferences.GetAsync(user, Ct)).FavoriteModels.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(24)]
    [InlineData(25)]
    public async Task Toggling_a_favourite_n_times_at_once_alternates_and_leaves_it_a_favourite_once_when_n_is_even(int n)
    {
        var user = await db.NewUserAsync();
        await Preferences.ToggleFavoriteAsync(user, "gemini-2.0-flash", Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => Task.Run(() => Preferences.ToggleFavoriteAsync(user, "gemini-2.0-flash", Ct), Ct)));

        // The toggles took turns, each applied to what the previous one left: removed, added, removed... so n / 2 added it.
        Assert.Equal(n / 2, results.Count(r => r.IsFavorite));
        string[] expected = n % 2 == 0 ? ["gemini-2.0-flash"] : [];
        Assert.Equal(expected, (await Preferences.GetAsync(user, Ct)).FavoriteModels);
    }

    [Fact]
    public async Task Toggling_an_unknown_or_unavailable_model_is_not_found_but_a_favourite_that_became_unavailable_can_be_removed()
    {
        var user = await db.NewUserAsync();
        await Preferences.ToggleFavoriteAsync(user, "grok-3-fast", Ct);
        await Registry.SetEnabledAsync(Admin(user.TenantId), "grok-3-fast", false, Ct);
        await Registry.SetThinkTankEnabledAsync(Admin(user.TenantId), "o1", false, Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(user, "no-such-model", Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(user, "o1", Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(user, "grok-2", Ct));
        var removed = await Preferences.ToggleFavoriteAsync(user, "grok-3-fast", Ct);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(user, "grok-3-fast", Ct));

        Assert.False(removed.IsFavorite);
        Assert.Empty(removed.FavoriteModels);
        await Assert.ThrowsAsync<RadiantValidationException>(() => Preferences.ToggleFavoriteAsync(user, new string('x', 101), Ct));
    }

    [Fact]
    public async Task Recent_models_are_most_recent_first_each_once_and_at_most_ten()
    {
        var user = await db.NewUserAsync();
        var models = ThinkTankModels.Select(m => m.Id).Take(12).ToArray();

        foreach (var model in models)
        {
            await Preferences.RecordRecentModelAsync(user, model, Ct);
        }

        var recent = await Preferences.RecordRecentModelAsync(user, models[5], Ct);

        Assert.Equal(ModelSelectionLimits.MaxRecentModels, recent.Count);
        Assert.Equal([models[5], models[11], models[10], models[9], models[8], models[7], models[6], models[4], models[3], models[2]], recent);
        Assert.Equal(recent, (await Preferences.GetAsync(user, Ct)).RecentModels);
        // Using a model is not a change of preferences.
        Assert.Null((await Preferences.GetAsync(user, Ct)).UpdatedAt);
    }

    [Fact]
    public async Task Recorded_uses_and_toggles_at_once_all_land_alongside_an_update()
    {
        var user = await db.NewUserAsync();
        var models = ThinkTankModels.Select(m => m.Id).Take(10).ToArray();

        await Task.WhenAll(
            models.Select(m => (Task)Task.Run(() => Preferences.RecordRecentModelAsync(user, m, Ct), Ct))
                .Concat(models.Select(m => (Task)Task.Run(() => Preferences.ToggleFavoriteAsync(user, m, Ct), Ct)))
                .Append(Task.Run(() => Preferences.UpdateAsync(user, new ModelPreferencesUpdate { ShowNovelModels = false }, Ct), Ct)));

        var preferences = await Preferences.GetAsync(user, Ct);
        Assert.Equal(models.Order(StringComparer.Ordinal), preferences.RecentModels.Order(StringComparer.Ordinal));
        Assert.Equal(models.Order(StringComparer.Ordinal), preferences.FavoriteModels.Order(StringComparer.Ordinal));
        Assert.False(preferences.ShowNovelModels);
    }

    [Fact]
    public async Task Recording_an_unknown_model_is_not_found()
    {
        var user = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.RecordRecentModelAsync(user, "no-such-model", Ct));

        Assert.Empty((await Preferences.GetAsync(user, Ct)).RecentModels);
    }

    [Fact]
    public async Task The_list_is_every_model_the_user_may_pick_in_order_with_the_engines_prices_and_flags()
    {
        var user = await db.NewUserAsync();
        await Registry.SetEnabledAsync(Admin(user.TenantId), "gpt-4o-mini", false, Ct);
        await Registry.SetThinkTankEnabledAsync(Admin(user.TenantId), "o1-pro", false, Ct);
        await Registry.SetThinkTankEnabledAsync(Admin(user.TenantId), "grok-2", true, Ct);
        await db.Services.GetRequiredService<IPricingAdminService>().SetOverrideAsync(Admin(user.TenantId), "gpt-4o", new PriceOverrideInput(Markup: 0.1m), Ct);
        await Preferences.ToggleFavoriteAsync(user, "deepseek-v3", Ct);
        await Preferences.RecordRecentModelAsync(user, "phi-4", Ct);
        // The override's NOTIFY reloads the engine in the background; this test compares with one snapshot, so take it now.
        var snapshot = await Engine.RefreshAsync(Ct);

        var models = await Preferences.ListModelsAsync(user, Ct);

        var expected = BuiltInCatalog.Catalog.Models
            .Where(m => (m.ThinkTankEnabled || m.Id == "grok-2") && m.Id is not ("gpt-4o-mini" or "o1-pro"))
            .OrderBy(m => m.IsNovel).ThenBy(m => m.DisplayOrder).ThenBy(m => m.DisplayName, StringComparer.Ordinal)
            .Select(m => m.Id);
        Assert.Equal(expected, models.Select(m => m.Id));
        Assert.All(models, m =>
        {
            var quote = snapshot.Quote(user.TenantId, m.Id, 0, 0, DateTimeOffset.UtcNow);
            Assert.Equal((quote.UserInputPricePer1M, quote.UserOutputPricePer1M), (m.UserInputPricePer1M, m.UserOutputPricePer1M));
            Assert.Equal(m.Id == "deepseek-v3", m.IsFavorite);
            Assert.Equal(m.Id == "phi-4", m.IsRecent);
        });
        var gpt4o = models.Single(m => m.Id == "gpt-4o");
        Assert.Equal((2.75m, 11m), (gpt4o.UserInputPricePer1M, gpt4o.UserOutputPricePer1M));
        Assert.Equal(("openai", "OpenAI", 128000, false, false), (gpt4o.ProviderId, gpt4o.ProviderName, gpt4o.ContextWindow, gpt4o.IsNovel, gpt4o.IsSelfHosted));
        Assert.Contains("vision", gpt4o.Capabilities);
    }

    [Fact]
    public async Task Category_preferences_filter_the_list()
    {
        var user = await db.NewUserAsync();
        var standard = ThinkTankModels.Where(m => !m.IsNovel).Select(m => m.Id).ToHashSet();

        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { ShowNovelModels = false }, Ct);
        var standardOnly = await Preferences.ListModelsAsync(user, Ct);
        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { ShowNovelModels = true, ShowStandardModels = false }, Ct);
        var novelOnly = await Preferences.ListModelsAsync(user, Ct);
        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate { ShowNovelModels = false }, Ct);
        var none = await Preferences.ListModelsAsync(user, Ct);

        Assert.Equal(15, standardOnly.Count);
        Assert.All(standardOnly, m => Assert.Contains(m.Id, standard));
        Assert.Equal(15, novelOnly.Count);
        Assert.All(novelOnly, m => Assert.True(m.IsNovel));
        Assert.Empty(none);
        // The selection context keeps every pickable model, whatever the categories shown.
        Assert.Equal(30, (await Preferences.GetSelectionContextAsync(user, Ct)).Models.Count);
    }

    [Fact]
    public async Task Self_hosted_models_are_listed_only_when_the_user_shows_them_at_the_self_hosted_markup()
    {
        // The built-in catalogue has no self-hosted model: this test adds one to a database of its own.
        await using var own = await PricingDatabase.CreateAsync(db.Server, services => services.AddRadiant().AddModelSelection());
        var local = new ModelDefinition("llama-local", ProviderDefinition.SelfHostedId, "Llama (local)", 8192, 2048, ["text"], ["chat"], 0.10m, 0.20m, false, "economy", true, 5);
        await own.Registry.SyncAsync(BuiltInCatalog.Catalog with { Models = [.. BuiltInCatalog.Catalog.Models, local] }, Ct);
        var user = await own.NewUserAsync();
        var preferences = own.Services.GetRequiredService<IModelPreferenceService>();

        var hidden = await preferences.ListModelsAsync(user, Ct);
        await preferences.UpdateAsync(user, new ModelPreferencesUpdate { ShowSelfHostedModels = true, ShowStandardModels = false, ShowNovelModels = false }, Ct);
        var shown = await preferences.ListModelsAsync(user, Ct);

        Assert.DoesNotContain(hidden, m => m.Id == "llama-local");
        Assert.Equal(30, hidden.Count);
        var model = Assert.Single(shown);
        Assert.Equal(("llama-local", true, "Self-hosted"), (model.Id, model.IsSelfHosted, model.ProviderName));
        // 0.10 and 0.20 per 1M with the self-hosted default markup (75 %), not the external one (40 %).
        Assert.Equal((0.175m, 0.35m), (model.UserInputPricePer1M, model.UserOutputPricePer1M));
    }

    [Fact]
    public async Task A_new_tenant_is_priced_even_before_the_engine_heard_of_it()
    {
        var user = await db.NewUserAsync();

        var models = await Preferences.ListModelsAsync(user, Ct);

        Assert.Equal(30, models.Count);
        Assert.Equal(3.5m, models.Single(m => m.Id == "gpt-4o").UserInputPricePer1M);
    }

    [Fact]
    public async Task The_selection_context_has_the_preferences_the_domain_modes_and_the_models_of_one_user()
    {
        var user = await db.NewUserAsync();
        await db.Services.GetRequiredService<IDomainModeService>().UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(
            new Dictionary<DomainMode, DomainModeUpdate> { [DomainMode.Medical] = new() { DefaultModel = "claude-4-opus", Temperature = 0.3m } }), Ct);
        await Preferences.UpdateAsync(user, new ModelPreferencesUpdate
        {
            SelectionMode = ModelSelectionMode.Manual,
            DefaultModelId = "gpt-4o",
            MaxCostPerMessage = 0.05m,
            DomainModeModelOverrides = new Dictionary<DomainMode, string> { [DomainMode.Code] = "codestral-latest" },
        }, Ct);
        await Registry.SetEnabledAsync(Admin(user.TenantId), "grok-3", false, Ct);

        var context = await Preferences.GetSelectionContextAsync(user, Ct);

        Assert.Equal((ModelSelectionMode.Manual, "gpt-4o", 0.05m), (context.Preferences.SelectionMode, context.Preferences.DefaultModelId, context.Preferences.MaxCostPerMessage));
        Assert.Equal("codestral-latest", context.Preferences.DomainModeModelOverrides[DomainMode.Code]);
        Assert.Equal(7, context.DomainModes.Count);
        Assert.Equal(("claude-4-opus", 0.3m), (context.DomainModeFor(DomainMode.Medical).DefaultModel, context.DomainModeFor(DomainMode.Medical).Temperature));
        Assert.Equal(29, context.Models.Count);
        Assert.Null(context.FindModel("grok-3"));
        Assert.Equal(3.5m, context.FindModel("gpt-4o")!.UserInputPricePer1M);
    }

    [Fact]
    public async Task Preferences_are_per_tenant_even_for_the_same_user_id_and_follow_each_tenants_switches()
    {
        var a = await db.NewUserAsync();
        var b = await db.NewUserAsync();
        var sameUserInB = new RadiantCaller(b.TenantId, a.UserId);
        await db.Directory.EnsureUserAsync(new UserProfile(sameUserInB), Ct);
        await Registry.SetEnabledAsync(Admin(a.TenantId), "claude-4-sonnet", false, Ct);

        await Preferences.UpdateAsync(a, new ModelPreferencesUpdate { SelectionMode = ModelSelectionMode.Favorites, FavoriteModels = new[] { "gpt-4o" } }, Ct);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(a, "claude-4-sonnet", Ct));
        var inB = await Preferences.ToggleFavoriteAsync(sameUserInB, "claude-4-sonnet", Ct);

        Assert.Equal(["claude-4-sonnet"], inB.FavoriteModels);
        Assert.Equal(ModelSelectionMode.Auto, (await Preferences.GetAsync(sameUserInB, Ct)).SelectionMode);
        Assert.Equal(["gpt-4o"], (await Preferences.GetAsync(a, Ct)).FavoriteModels);
        Assert.DoesNotContain(await Preferences.ListModelsAsync(a, Ct), m => m.Id == "claude-4-sonnet");
        Assert.Contains(await Preferences.ListModelsAsync(sameUserInB, Ct), m => m.Id == "claude-4-sonnet" && m.IsFavorite);
    }

    [Fact]
    public async Task A_caller_the_directory_does_not_know_is_not_found_and_reads_the_defaults()
    {
        var stranger = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.ToggleFavoriteAsync(stranger, "gpt-4o", Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Preferences.UpdateAsync(stranger, new ModelPreferencesUpdate { ShowCostPerMessage = false }, Ct));

        Assert.Equal(ModelPreferences.Default, await Preferences.GetAsync(stranger, Ct));
    }
}
