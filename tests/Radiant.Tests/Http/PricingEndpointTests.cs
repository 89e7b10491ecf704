using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Radiant.Tests.Http;

public sealed class PricingEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task AssertFieldErrorAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}' in {body}");
    }

    [Fact]
    public async Task Config_reads_defaults_and_updates_partially()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var defaults = await JsonAsync(await admin.GetAsync("/api/admin/pricing/config", Ct));
        Assert.Equal(0.40m, defaults.GetProperty("externalDefaultMarkup").GetDecimal());
        Assert.Equal(0.75m, defaults.GetProperty("selfHostedDefaultMarkup").GetDecimal());
        Assert.Equal(0.001m, defaults.GetProperty("minimumChargePerRequest").GetDecimal());
        Assert.Equal(24, defaults.GetProperty("priceIncreaseGracePeriodHours").GetInt32());
        Assert.Equal("daily", defaults.GetProperty("autoUpdateFrequency").GetString());

        var updated = await admin.PutAsync("/api/admin/pricing/config", Json("""{"minimumChargePerRequest":0.002,"autoUpdateFrequency":"weekly"}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var body = await JsonAsync(updated);
        Assert.Equal(0.002m, body.GetProperty("minimumChargePerRequest").GetDecimal());
        Assert.Equal("weekly", body.GetProperty("autoUpdateFrequency").GetString());
        Assert.Equal(0.40m, body.GetProperty("externalDefaultMarkup").GetDecimal());
    }

    [Theory]
    [InlineData("""{"externalDefaultMarkup":10}""", "externalDefaultMarkup")]
    [InlineData("""{"selfHostedDefaultMarkup":-0.1}""", "selfHostedDefaultMarkup")]
    [InlineData("""{"priceIncreaseGracePeriodHours":169}""", "priceIncreaseGracePeriodHours")]
    [InlineData("""{"minimumChargePerRequest":-1}""", "minimumChargePerRequest")]
    [InlineData("""{"notifyThresholdPercent":101}""", "notifyThresholdPercent")]
    public async Task Config_rejects_out_of_range_values_and_keeps_the_old_ones(string body, string field)
    {
        var admin = api.As(RadiantApi.NewAdmin());

        await AssertFieldErrorAsync(await admin.PutAsync("/api/admin/pricing/config", Json(body), Ct), field);

        Assert.Equal(0.40m, (await JsonAsync(await admin.GetAsync("/api/admin/pricing/config", Ct))).GetProperty("externalDefaultMarkup").GetDecimal());
    }

    [Fact]
    public async Task Models_table_lists_every_model_with_user_prices()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var models = await JsonAsync(await admin.GetAsync("/api/admin/pricing/models", Ct));

        Assert.Equal(32, models.GetArrayLength());
        var gpt4o = models.EnumerateArray().Single(m => m.GetProperty("modelId").GetString() == "gpt-4o");
        Assert.Equal(2.50m, gpt4o.GetProperty("baseInputPricePer1M").GetDecimal());
        Assert.Equal(3.5m, gpt4o.GetProperty("userInputPricePer1M").GetDecimal());
        Assert.Equal(14m, gpt4o.GetProperty("userOutputPricePer1M").GetDecimal());
        Assert.False(gpt4o.GetProperty("hasOverride").GetBoolean());
    }

    [Fact]
    public async Task Override_lifecycle_and_history()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var set = await admin.PutAsync("/api/admin/pricing/models/gpt-4o/override", Json("""{"markup":0.10}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var priced = await JsonAsync(set);
        Assert.True(priced.GetProperty("hasOverride").GetBoolean());
        Assert.Equal(2.75m, priced.GetProperty("userInputPricePer1M").GetDecimal());

        var removed = await admin.DeleteAsync("/api/admin/pricing/models/gpt-4o/override", Ct);
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        // Removing a discount raises the price: it waits for the grace period.
        Assert.True((await JsonAsync(removed)).GetProperty("hasOverride").GetBoolean());

        var history = await JsonAsync(await admin.GetAsync("/api/admin/pricing/history?modelId=gpt-4o", Ct));
        var items = history.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("admin", i.GetProperty("source").GetString()));
        Assert.Equal(0.10m, items[1].GetProperty("newMarkup").GetDecimal());
    }

    [Fact]
    public async Task Override_errors_are_problems()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        await AssertFieldErrorAsync(await admin.PutAsync("/api/admin/pricing/models/gpt-4o/override", Json("{}"), Ct), "markup");
        await AssertFieldErrorAsync(await admin.PutAsync("/api/admin/pricing/models/gpt-4o/override", Json("""{"inputPricePer1M":-1}"""), Ct), "inputPricePer1M");
        await AssertFieldErrorAsync(
            await admin.PutAsync("/api/admin/pricing/models/gpt-4o/override", Json("""{"markup":0.1,"effectiveFrom":"2030-01-02T00:00:00Z","effectiveTo":"2030-01-01T00:00:00Z"}"""), Ct),
            "effectiveTo");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsync("/api/admin/pricing/models/no-such-model/override", Json("""{"markup":0.1}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/admin/pricing/models/gpt-4o/override", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsync("/api/admin/pricing/models/gpt-4o/override", Json("""{"markup":"lots"}"""), Ct)).StatusCode);
    }

    [Fact]
    public async Task Bulk_update_sets_the_markup_and_writes_history()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var response = await admin.PostAsJsonAsync("/api/admin/pricing/bulk-update", new { type = "external", markup = 0.5m }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await JsonAsync(response);
        Assert.Equal(32, result.GetProperty("affectedModels").GetInt32());
        Assert.Equal(0.5m, (await JsonAsync(await admin.GetAsync("/api/admin/pricing/config", Ct))).GetProperty("externalDefaultMarkup").GetDecimal());
        var history = await JsonAsync(await admin.GetAsync("/api/admin/pricing/history?limit=10", Ct));
        Assert.Equal(10, history.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.String, history.GetProperty("nextCursor").ValueKind);
        Assert.Equal("bulk_update", history.GetProperty("items")[0].GetProperty("source").GetString());

        await AssertFieldErrorAsync(await admin.PostAsJsonAsync("/api/admin/pricing/bulk-update", new { type = "external", markup = 12m }, Ct), "markup");
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/admin/pricing/bulk-update", Json("""{"type":"martian","markup":0.1}"""), Ct)).StatusCode);
        await AssertFieldErrorAsync(await admin.GetAsync("/api/admin/pricing/history?limit=1000", Ct), "limit");
    }

    [Fact]
    public async Task Registry_lists_and_switches_models_per_tenant()
    {
        var admin = api.As(RadiantApi.NewAdmin());
        var other = api.As(RadiantApi.NewAdmin());

        var disabled = await admin.PutAsJsonAsync("/api/admin/models/grok-2/enabled", new { enabled = false }, Ct);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.False((await JsonAsync(disabled)).GetProperty("isEnabled").GetBoolean());
        var thinkTank = await JsonAsync(await admin.PutAsJsonAsync("/api/admin/models/grok-2/thinktank", new { enabled = true }, Ct));
        Assert.True(thinkTank.GetProperty("thinkTankEnabled").GetBoolean());

        var enabled = await JsonAsync(await admin.GetAsync("/api/admin/models?enabled=true", Ct));
        Assert.Equal(31, enabled.GetArrayLength());
        Assert.DoesNotContain(enabled.EnumerateArray(), m => m.GetProperty("definition").GetProperty("id").GetString() == "grok-2");
        Assert.Equal(32, (await JsonAsync(await other.GetAsync("/api/admin/models?enabled=true", Ct))).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/api/admin/models/nope/enabled", new { enabled = false }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsync("/api/admin/models/grok-2/enabled", Json("""{"enabled":"maybe"}"""), Ct)).StatusCode);
    }

    [Fact]
    public async Task Every_pricing_and_registry_route_is_admin_only()
    {
        var user = api.As(RadiantApi.NewUser());

        foreach (var (method, path) in new[]
                 {
                     ("GET", "/api/admin/pricing/config"), ("PUT", "/api/admin/pricing/config"), ("GET", "/api/admin/pricing/models"),
                     ("POST", "/api/admin/pricing/bulk-update"), ("PUT", "/api/admin/pricing/models/gpt-4o/override"),
                     ("DELETE", "/api/admin/pricing/models/gpt-4o/override"), ("GET", "/api/admin/pricing/history"),
                     ("GET", "/api/admin/models"), ("PUT", "/api/admin/models/gpt-4o/enabled"), ("PUT", "/api/admin/models/gpt-4o/thinktank"),
                 })
        {
            var response = await user.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") }, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} gave {response.StatusCode}");
            var anonymous = await api.Anonymous().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") }, Ct);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {method} {path} gave {anonymous.StatusCode}");
        }
    }
}
