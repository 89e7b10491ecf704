using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Registry;
using Radiant.Tenancy;

namespace Radiant.Tests.Http;

/// <summary>The model-selection routes through the real ASP.NET Core pipeline: binding, the caller, the service and the JSON.</summary>
public sealed class ModelSelectionEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private const string Models = "/api/thinktank/models";
    private const string Preferences = "/api/thinktank/preferences/models";
    private const string DomainModes = "/api/admin/thinktank/domain-modes";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        return await JsonAsync(response);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Favorite(string modelId) => $"{Preferences}/{Uri.EscapeDataString(modelId)}/favorite";

    private static async Task AssertFieldErrorsAsync(HttpResponseMessage response, params string[] fields)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal(fields.Order(StringComparer.Ordinal), body.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    private static JsonElement Mode(JsonElement modes, string mode) => modes.EnumerateArray().Single(m => m.GetProperty("mode").GetString() == mode);

    [Fact]
    public async Task The_model_list_has_the_users_prices_flags_and_the_seed_order()
    {
        var client = api.As(RadiantApi.NewUser());
        await OkJsonAsync(await client.PostAsync(Favorite("deepseek-v3"), null, Ct));

        var models = await OkJsonAsync(await client.GetAsync(Models, Ct));

        Assert.Equal(30, models.GetArrayLength());
        var expected = BuiltInCatalog.Catalog.Models.Where(m => m.ThinkTankEnabled)
            .OrderBy(m => m.IsNovel).ThenBy(m => m.DisplayOrder).ThenBy(m => m.DisplayName, StringComparer.Ordinal).Select(m => m.Id);
        Assert.Equal(expected, models.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var gpt4o = models.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "gpt-4o");
        // The default external markup (40 %) on 2.50 / 10.00.
        Assert.Equal((3.5m, 14m), (gpt4o.GetProperty("userInputPricePer1M").GetDecimal(), gpt4o.GetProperty("userOutputPricePer1M").GetDecimal()));
        Assert.Equal(("OpenAI", 128000, false, false), (gpt4o.GetProperty("providerName").GetString(), gpt4o.GetProperty("contextWindow").GetInt32(), gpt4o.GetProperty("isNovel").GetBoolean(), gpt4o.GetProperty("isFavorite").GetBoolean()));
        Assert.Contains("vision", gpt4o.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.True(models.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "deepseek-v3").GetProperty("isFavorite").GetBoolean());
        Assert.All(models.EnumerateArray(), m => Assert.False(m.GetProperty("isRecent").GetBoolean()));
    }

    [Fact]
    public async Task The_model_list_follows_the_category_preferences_and_the_tenants_switches()
    {
        var caller = RadiantApi.NewUser();
        var client = api.As(caller);
        await OkJsonAsync(await client.PutAsync(Preferences, Json("""{"showNovelModels":false}"""), Ct));
        await api.Services.GetRequiredService<IModelRegistry>().SetEnabledAsync(RadiantCaller.ForTenantAdmin(caller.TenantId, Guid.NewGuid()), "gpt-4o", false, Ct);

        var models = await OkJsonAsync(await client.GetAsync(Models, Ct));

        Assert.Equal(14, models.GetArrayLength());
        Assert.All(models.EnumerateArray(), m => Assert.False(m.GetProperty("isNovel").GetBoolean()));
        Assert.DoesNotContain(models.EnumerateArray(), m => m.GetProperty("id").GetString() == "gpt-4o");
    }

    [Fact]
    public async Task Preferences_read_the_defaults_then_update_partially_and_null_clears()
    {
        var client = api.As(RadiantApi.NewUser());

        var defaults = await OkJsonAsync(await client.GetAsync(Preferences, Ct));
        Assert.Equal("auto", defaults.GetProperty("selectionMode").GetString());
        Assert.Equal(JsonValueKind.Null, defaults.GetProperty("defaultModelId").ValueKind);
        Assert.Equal(JsonValueKind.Null, defaults.GetProperty("maxCostPerMessage").ValueKind);
        Assert.Equal(JsonValueKind.Null, defaults.GetProperty("updatedAt").ValueKind);
        Assert.Empty(defaults.GetProperty("domainModeModelOverrides").EnumerateObject());

        var set = await OkJsonAsync(await client.PutAsync(Preferences, Json(
            """{"selectionMode":"manual","defaultModelId":"claude-4-sonnet","maxCostPerMessage":0.05,"domainModeModelOverrides":{"code":"codestral-latest"}}"""), Ct));
        Assert.Equal(("manual", "claude-4-sonnet", 0.05m), (set.GetProperty("selectionMode").GetString(), set.GetProperty("defaultModelId").GetString(), set.GetProperty("maxCostPerMessage").GetDecimal()));
        Assert.Equal("codestral-latest", set.GetProperty("domainModeModelOverrides").GetProperty("code").GetString());

        // Absent fields keep their values; null clears the default model and the cost limit.
        var cleared = await OkJsonAsync(await client.PutAsync(Preferences, Json("""{"defaultModelId":null,"maxCostPerMessage":null}"""), Ct));
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("defaultModelId").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("maxCostPerMessage").ValueKind);
        Assert.Equal("manual", cleared.GetProperty("selectionMode").GetString());
        Assert.Equal("codestral-latest", cleared.GetProperty("domainModeModelOverrides").GetProperty("code").GetString());

        var read = await OkJsonAsync(await client.GetAsync(Preferences, Ct));
        Assert.Equal(cleared.ToString(), read.ToString());
    }

    [Fact]
    public async Task Preferences_refuse_unknown_or_disabled_models_and_bad_values_naming_each_field()
    {
        var caller = RadiantApi.NewUser();
        var client = api.As(caller);
        await OkJsonAsync(await client.GetAsync(Preferences, Ct)); // provisions the tenant the switch is stored for
        await api.Services.GetRequiredService<IModelRegistry>().SetEnabledAsync(RadiantCaller.ForTenantAdmin(caller.TenantId, Guid.NewGuid()), "o1", false, Ct);

        await AssertFieldErrorsAsync(
            await client.PutAsync(Preferences, Json("""{"defaultModelId":"no-such-model","favoriteModels":["gpt-4o","o1"],"domainModeModelOverrides":{"legal":"o1"}}"""), Ct),
            "defaultModelId", "favoriteModels[1]", "domainModeModelOverrides.legal");
        // A value the contract cannot hold is refused by the binder, before the range checks run.
        await AssertFieldErrorsAsync(
            await client.PutAsync(Preferences, Json("""{"selectionMode":"sometimes","maxCostPerMessage":-1}"""), Ct),
            "selectionMode");
        await AssertFieldErrorsAsync(await client.PutAsync(Preferences, Json("""{"maxCostPerMessage":-1,"favoriteModels":["gpt-4o","gpt-4o"]}"""), Ct),
            "maxCostPerMessage", "favoriteModels[1]");
        await AssertFieldErrorsAsync(await client.PutAsync(Preferences, Json("""{"domainModeModelOverrides":{"poetry":"gpt-4o"}}"""), Ct),
            "domainModeModelOverrides.poetry");

        var read = await OkJsonAsync(await client.GetAsync(Preferences, Ct));
        Assert.Equal(JsonValueKind.Null, read.GetProperty("updatedAt").ValueKind);
    }

    [Fact]
    public async Task Toggling_a_favourite_adds_then_removes_it_and_an_unknown_model_is_not_found()
    {
        var client = api.As(RadiantApi.NewUser());

        var added = await OkJsonAsync(await client.PostAsync(Favorite("gpt-4o"), null, Ct));
        Assert.Equal(("gpt-4o", true), (added.GetProperty("modelId").GetString(), added.GetProperty("isFavorite").GetBoolean()));
        Assert.Equal(["gpt-4o"], added.GetProperty("favoriteModels").EnumerateArray().Select(m => m.GetString()));

        var removed = await OkJsonAsync(await client.PostAsync(Favorite("gpt-4o"), null, Ct));
        Assert.False(removed.GetProperty("isFavorite").GetBoolean());
        Assert.Empty(removed.GetProperty("favoriteModels").EnumerateArray());

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(Favorite("no-such-model"), null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(Favorite(new string('m', 101)), null, Ct)).StatusCode);
    }

    [Fact]
    public async Task Twenty_clients_toggling_different_favourites_at_once_all_land()
    {
        var caller = RadiantApi.NewUser();
        // Provisions the user first, so the parallel requests race only on the preferences row.
        await OkJsonAsync(await api.As(caller).GetAsync(Preferences, Ct));
        var models = BuiltInCatalog.Catalog.Models.Where(m => m.ThinkTankEnabled).Select(m => m.Id).Take(20).ToArray();

        var responses = await Task.WhenAll(models.Select(model => Task.Run(() => api.As(caller).PostAsync(Favorite(model), null, Ct), Ct)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var favorites = (await OkJsonAsync(await api.As(caller).GetAsync(Preferences, Ct))).GetProperty("favoriteModels").EnumerateArray().Select(m => m.GetString()!);
        Assert.Equal(models.Order(StringComparer.Ordinal), favorites.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Preferences_are_the_callers_own_per_tenant()
    {
        var alice = RadiantApi.NewUser();
        var bob = RadiantApi.NewUser(alice.TenantId);
        var aliceElsewhere = RadiantApi.NewUser() with { UserId = alice.UserId };
        await OkJsonAsync(await api.As(alice).PutAsync(Preferences, Json("""{"selectionMode":"favorites","favoriteModels":["grok-3"]}"""), Ct));

        foreach (var other in new[] { bob, aliceElsewhere })
        {
            var read = await OkJsonAsync(await api.As(other).GetAsync(Preferences, Ct));
            Assert.Equal("auto", read.GetProperty("selectionMode").GetString());
            Assert.Empty(read.GetProperty("favoriteModels").EnumerateArray());
            Assert.DoesNotContain((await OkJsonAsync(await api.As(other).GetAsync(Models, Ct))).EnumerateArray(), m => m.GetProperty("isFavorite").GetBoolean());
        }

        Assert.Equal("favorites", (await OkJsonAsync(await api.As(alice).GetAsync(Preferences, Ct))).GetProperty("selectionMode").GetString());
    }

    [Fact]
    public async Task Domain_modes_read_seven_defaults_and_a_partial_put_shows_on_the_next_read()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var defaults = await OkJsonAsync(await admin.GetAsync(DomainModes, Ct));
        Assert.Equal(["general", "medical", "legal", "code", "academic", "creative", "scientific"], defaults.EnumerateArray().Select(m => m.GetProperty("mode").GetString()));
        Assert.All(defaults.EnumerateArray(), m => Assert.Equal(("auto", 0.7m, true), (m.GetProperty("defaultModel").GetString(), m.GetProperty("temperature").GetDecimal(), m.GetProperty("enabled").GetBoolean())));

        var put = await OkJsonAsync(await admin.PutAsync(DomainModes, Json(
            """{"modes":{"code":{"defaultModel":"codestral-latest","temperature":0.2},"medical":{"enabled":false,"systemPromptOverride":"Cite guidelines."}}}"""), Ct));
        Assert.Equal(7, put.GetArrayLength());

        var read = await OkJsonAsync(await admin.GetAsync(DomainModes, Ct));
        var code = Mode(read, "code");
        Assert.Equal(("codestral-latest", 0.2m, true), (code.GetProperty("defaultModel").GetString(), code.GetProperty("temperature").GetDecimal(), code.GetProperty("enabled").GetBoolean()));
        var medical = Mode(read, "medical");
        Assert.Equal((false, "Cite guidelines.", "auto"), (medical.GetProperty("enabled").GetBoolean(), medical.GetProperty("systemPromptOverride").GetString(), medical.GetProperty("defaultModel").GetString()));
        Assert.Equal(JsonValueKind.Null, Mode(read, "legal").GetProperty("updatedAt").ValueKind);

        // Auto and a null override return the mode to the router and its default prompt.
        var back = await OkJsonAsync(await admin.PutAsync(DomainModes, Json("""{"modes":{"code":{"defaultModel":"auto"},"medical":{"systemPromptOverride":null}}}"""), Ct));
        Assert.Equal("auto", Mode(back, "code").GetProperty("defaultModel").GetString());
        Assert.Equal(0.2m, Mode(back, "code").GetProperty("temperature").GetDecimal());
        Assert.Equal(JsonValueKind.Null, Mode(back, "medical").GetProperty("systemPromptOverride").ValueKind);
    }

    [Fact]
    public async Task Domain_modes_refuse_bad_temperatures_unknown_modes_and_unknown_or_disabled_models()
    {
        var caller = RadiantApi.NewAdmin();
        var admin = api.As(caller);
        await OkJsonAsync(await admin.GetAsync(DomainModes, Ct)); // provisions the tenant the switch is stored for
        await api.Services.GetRequiredService<IModelRegistry>().SetEnabledAsync(RadiantCaller.ForTenantAdmin(caller.TenantId, caller.UserId), "gpt-4o", false, Ct);

        await AssertFieldErrorsAsync(
            await admin.PutAsync(DomainModes, Json("""{"modes":{"code":{"temperature":2.5},"creative":{"temperature":-0.1},"legal":{"defaultModel":null}}}"""), Ct),
            "modes.code.temperature", "modes.creative.temperature", "modes.legal.defaultModel");
        await AssertFieldErrorsAsync(
            await admin.PutAsync(DomainModes, Json("""{"modes":{"code":{"defaultModel":"no-such-model"},"general":{"defaultModel":"gpt-4o"}}}"""), Ct),
            "modes.code.defaultModel", "modes.general.defaultModel");
        await AssertFieldErrorsAsync(await admin.PutAsync(DomainModes, Json("""{"modes":{"poetry":{}}}"""), Ct), "modes.poetry");
        await AssertFieldErrorsAsync(await admin.PutAsync(DomainModes, Json("""{"modes":{"code":{"temperature":"warm"}}}"""), Ct), "modes.code.temperature");
        await AssertFieldErrorsAsync(await admin.PutAsync(DomainModes, Json("{}"), Ct), "modes");

        Assert.All((await OkJsonAsync(await admin.GetAsync(DomainModes, Ct))).EnumerateArray(), m => Assert.Equal(JsonValueKind.Null, m.GetProperty("updatedAt").ValueKind));
    }

    [Fact]
    public async Task Domain_modes_are_for_tenant_admins_and_each_tenant_has_its_own()
    {
        var caller = RadiantApi.NewAdmin();
        var admin = api.As(caller);
        var user = api.As(RadiantApi.NewUser(caller.TenantId));
        var otherAdmin = api.As(RadiantApi.NewAdmin());

        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync(DomainModes, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PutAsync(DomainModes, Json("""{"modes":{"code":{"enabled":false}}}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Anonymous().GetAsync(DomainModes, Ct)).StatusCode);
        await OkJsonAsync(await admin.PutAsync(DomainModes, Json("""{"modes":{"code":{"enabled":false}}}"""), Ct));

        Assert.False(Mode(await OkJsonAsync(await admin.GetAsync(DomainModes, Ct)), "code").GetProperty("enabled").GetBoolean());
        Assert.True(Mode(await OkJsonAsync(await otherAdmin.GetAsync(DomainModes, Ct)), "code").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task Every_model_selection_route_needs_a_caller()
    {
        var anonymous = api.Anonymous();

        foreach (var (method, path) in new[] { ("GET", Models), ("GET", Preferences), ("PUT", Preferences), ("POST", Favorite("gpt-4o")), ("GET", DomainModes), ("PUT", DomainModes) })
        {
            var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") }, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} gave {response.StatusCode}");
        }
    }
}
