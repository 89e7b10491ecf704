using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Http;

/// <summary>The analytics routes through the real ASP.NET Core pipeline: admins only, JSON of the service's figures, bad input named.</summary>
public sealed class AnalyticsEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Routes =
    [
        "/api/admin/analytics/dashboard", "/api/admin/analytics/totals", "/api/admin/analytics/series", "/api/admin/analytics/models",
        "/api/admin/analytics/models/performance", "/api/admin/analytics/users/top", "/api/admin/analytics/users/models",
    ];

    [Fact]
    public async Task An_admin_reads_the_tenants_figures_and_a_user_is_refused()
    {
        var admin = RadiantApi.NewAdmin();
        var client = api.As(admin);
        (await client.GetAsync("/api/focus-modes", Ct)).EnsureSuccessStatusCode(); // provisions the caller
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var tx = await RawSql.BeginAsAppAsync(connection, admin.TenantId, admin.UserId);
            await RawSql.ExecuteAsync(connection, tx,
                "INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, model_id, provider_id, routing_rule, input_tokens, output_tokens, charge, pricing_version, latency_ms, outcome, created_at) " +
                "VALUES (@tenant, gen_random_uuid(), 'r1', 1, @user, 'gpt-4o', 'openai', 'requested', 12, 34, 0.25, 1, 420, 'completed', now() - interval '2 hours')",
                ("tenant", admin.TenantId), ("user", admin.UserId));
            await tx.CommitAsync(Ct);
        }

        foreach (var route in Routes)
        {
            using var response = await client.GetAsync(route + "?range=7d", Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        var dashboard = await client.GetFromJsonAsync<JsonElement>("/api/admin/analytics/dashboard?range=24h", Ct);
        var totals = dashboard.GetProperty("totals");
        Assert.Equal("hour", totals.GetProperty("range").GetProperty("bucket").GetString());
        Assert.Equal(1, totals.GetProperty("current").GetProperty("requests").GetInt64());
        Assert.Equal(0.25m, totals.GetProperty("current").GetProperty("cost").GetDecimal());
        Assert.Equal(1, totals.GetProperty("current").GetProperty("activeUsers").GetInt64());
        Assert.Equal(JsonValueKind.Null, totals.GetProperty("growth").GetProperty("requests").ValueKind);
        Assert.Equal(24, dashboard.GetProperty("series").GetProperty("points").GetArrayLength());
        Assert.Equal("gpt-4o", dashboard.GetProperty("distribution").GetProperty("models")[0].GetProperty("modelId").GetString());

        var top = await client.GetFromJsonAsync<JsonElement>("/api/admin/analytics/users/top?range=30d&limit=5&modelId=gpt-4o", Ct);
        Assert.Equal(admin.UserId, top.GetProperty("users")[0].GetProperty("userId").GetGuid());

        var user = api.As(RadiantApi.NewUser(admin.TenantId));
        foreach (var route in Routes)
        {
            using var response = await user.GetAsync(route, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("range=1y", "range")]
    [InlineData("from=2030-01-01T00:00:00Z", "to")]
    [InlineData("from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "to")]
    [InlineData("from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "to")]
    [InlineData("from=yesterday&to=2030-01-01T00:00:00Z", "from")]
    [InlineData("domainMode=poetry", "domainMode")]
    [InlineData("teamId=nope", "teamId")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    public async Task Bad_ranges_filters_and_limits_are_400s_naming_the_field(string query, string field)
    {
        var client = api.As(RadiantApi.NewAdmin());
        using var response = await client.GetAsync("/api/admin/analytics/users/top?" + query, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
