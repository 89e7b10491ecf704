using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Http;

/// <summary>The bad requests a newcomer found answering 200 with a default, 500, or a bare 400: each is now a 400 naming the field, and writes nothing.</summary>
public sealed class BadInputExamplesTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
    }

    private async Task<long> CountAsync(string sql, Guid tenantId)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task A_bulk_update_without_its_fields_is_refused_and_writes_no_history()
    {
        var admin = RadiantApi.NewAdmin();
        var client = api.As(admin);

        var errors = await ErrorsAsync(await client.PostAsync("/api/admin/pricing/bulk-update", Json("{}"), Ct));

        Assert.Equal("'type' is required.", errors.GetProperty("type")[0].GetString());
        Assert.Equal("'markup' is required.", errors.GetProperty("markup")[0].GetString());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM radiant.price_history WHERE tenant_id = @tenant", admin.TenantId));
        var config = await client.GetFromJsonAsync<JsonElement>("/api/admin/pricing/config", Ct);
        Assert.Equal(0.40m, config.GetProperty("externalDefaultMarkup").GetDecimal());
    }

    [Fact]
    public async Task A_model_switch_without_enabled_does_not_disable_the_model()
    {
        var client = api.As(RadiantApi.NewAdmin());

        var errors = await ErrorsAsync(await client.PutAsync("/api/admin/models/grok-2/enabled", Json("{}"), Ct));

        Assert.True(errors.TryGetProperty("enabled", out _));
        var models = await client.GetFromJsonAsync<JsonElement>("/api/admin/models?enabled=false", Ct);
        Assert.Equal(0, models.GetArrayLength());
    }

    [Fact]
    public async Task A_team_without_a_type_is_not_created_as_a_family_plan()
    {
        var user = RadiantApi.NewUser();
        var client = api.As(user);

        var errors = await ErrorsAsync(await client.PostAsync("/api/teams", Json("""{"name":"Smiths","maxMembers":4,"totalTokensMonthly":1000}"""), Ct));

        Assert.Equal("'type' is required.", errors.GetProperty("type")[0].GetString());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM radiant.team_plans WHERE tenant_id = @tenant", user.TenantId));
    }

    [Theory]
    [InlineData("/api/personas", """{"name":"Sa\u0000ge","systemPrompt":"p"}""", "name")]
    [InlineData("/api/admin/focus-modes", """{"name":"legal","displayName":"Le\u0000gal","systemPrompt":"p"}""", "displayName")]
    [InlineData("/api/schedules", """{"name":"Da\u0000ily","prompt":"p","model":"gpt-4o","type":"cron","cronExpression":"0 9 * * *"}""", "name")]
    [InlineData("/api/teams", """{"name":"Smi\u0000ths","type":"family","maxMembers":4,"totalTokensMonthly":1000}""", "name")]
    [InlineData("/api/personas", """{"name":"\ud800","systemPrompt":"p"}""", "name")]
    public async Task Text_the_database_cannot_store_is_a_field_error_not_a_500(string path, string body, string field)
    {
        var client = api.As(RadiantApi.NewAdmin());

        var errors = await ErrorsAsync(await client.PostAsync(path, Json(body), Ct));

        Assert.Contains("cannot be stored", errors.GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_team_usage_model_the_database_cannot_store_is_a_field_error()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var team = await (await client.PostAsync("/api/teams", Json("""{"name":"Smiths","type":"family","maxMembers":4,"totalTokensMonthly":1000}"""), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        var errors = await ErrorsAsync(await client.PostAsync($"/api/teams/{team.GetProperty("id").GetGuid()}/usage", Json("""{"tokens":10,"model":"gpt\u00004o"}"""), Ct));

        Assert.True(errors.TryGetProperty("model", out _));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM radiant.team_usage_log WHERE tenant_id = @tenant", owner.TenantId));
    }

    [Fact]
    public async Task A_model_id_longer_than_its_column_is_a_field_error()
    {
        var client = api.As(RadiantApi.NewAdmin());

        var errors = await ErrorsAsync(await client.PutAsync($"/api/admin/models/{new string('m', 150)}/enabled", Json("""{"enabled":false}"""), Ct));

        Assert.True(errors.TryGetProperty("modelId", out _));
    }

    [Fact]
    public async Task A_value_longer_than_its_column_is_a_field_error()
    {
        var client = api.As(RadiantApi.NewUser());

        var errors = await ErrorsAsync(await client.PostAsync("/api/personas", Json($$"""{"name":"{{new string('n', 101)}}","systemPrompt":"p"}"""), Ct));

        Assert.Equal("'name' must be at most 100 characters (got 101).", errors.GetProperty("name")[0].GetString());
    }

    [Theory]
    [InlineData("""{"name":"a","prompt":"p","model":"gpt-4o","type":"weekly"}""", "type", "'type' must be one of: once, cron, interval.")]
    [InlineData("""{"name":"a","prompt":"p","model":"gpt-4o","type":"interval","intervalMinutes":"60"}""", "intervalMinutes", "'intervalMinutes' must be a whole number between -2147483648 and 2147483647.")]
    [InlineData("""{"name":"a","prompt":"p","model":"gpt-4o","type":"interval","intervalMinutes":99999999999}""", "intervalMinutes", "'intervalMinutes' must be a whole number between -2147483648 and 2147483647.")]
    [InlineData("""{"name":7,"prompt":"p","model":"gpt-4o","type":"once"}""", "name", "'name' must be a string.")]
    [InlineData("""{"name":"a","prompt":"p","model":"gpt-4o","type":"once","runAt":"next tuesday"}""", "runAt", "'runAt' must be an ISO 8601 date and time such as 2026-12-01T09:00:00Z.")]
    [InlineData("""{"name":"a","prompt":"p","model":"gpt-4o","type":"once","colour":"red"}""", "colour", null)]
    [InlineData("""{"name":"a","prompt":""", "$", null)]
    [InlineData("", "$", "A JSON body is required.")]
    public async Task Malformed_bodies_answer_400_with_the_field_and_a_readable_message(string body, string field, string? message)
    {
        var client = api.As(RadiantApi.NewUser());

        var errors = await ErrorsAsync(await client.PostAsync("/api/schedules", Json(body), Ct));

        var messages = errors.GetProperty(field);
        if (message is not null)
        {
            Assert.Equal(message, messages[0].GetString());
        }
    }

    [Fact]
    public async Task A_non_uuid_id_and_a_bad_query_value_are_both_named()
    {
        var client = api.As(RadiantApi.NewUser());

        var errors = await ErrorsAsync(await client.GetAsync("/api/schedules/not-an-id/runs?limit=lots", Ct));

        Assert.StartsWith("'id' must be a UUID", errors.GetProperty("id")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("'limit' must be a whole number", errors.GetProperty("limit")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_as_such()
    {
        var client = api.As(RadiantApi.NewUser());

        var response = await client.PostAsync("/api/personas", new StringContent("name=Sage", Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
