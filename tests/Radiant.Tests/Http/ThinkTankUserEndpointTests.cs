using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Http;
using Radiant.Postgres.Chat;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Tests.Http;

public sealed class ThinkTankUserEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<RadiantApi.Caller> UserAsync(Guid tenantId, string email, string name, bool admin = false)
    {
        var caller = admin ? RadiantApi.NewAdmin(tenantId) : RadiantApi.NewUser(tenantId);
        await api.Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(new RadiantCaller(tenantId, caller.UserId), email, name), Ct);
        return caller;
    }

    private Task<bool> RecordAsync(RadiantApi.Caller user, decimal charge)
    {
        var caller = new RadiantCaller(user.TenantId, user.UserId);
        var record = new UsageRecord(Guid.NewGuid().ToString("N"), 1, null, "gpt-4o", "openai", null, null, "requested", 100, 20, 0, charge, 1, 5, null, UsageOutcome.Completed, null);
        var usage = api.Services.GetRequiredService<UsageRecords>();
        return api.Services.GetRequiredService<RadiantDb>().InTenantAsync(caller, (c, t) => usage.TryAddAsync(c, t, caller, record, Ct), Ct);
    }

    [Fact]
    public async Task The_list_stats_and_a_user_answer_with_their_figures_for_tenant_admins_only()
    {
        var tenant = Guid.NewGuid();
        var admin = RadiantApi.NewAdmin(tenant);
        var ann = await UserAsync(tenant, "ann@h.test", "Ann");
        var ben = await UserAsync(tenant, "ben@h.test", "Ben");
        await RecordAsync(ann, 2.5m);
        await RecordAsync(ben, 0.5m);
        var client = api.As(admin);

        var page = await JsonAsync(await client.GetAsync("/api/admin/thinktank/users?sort=spend&limit=1", Ct));
        var first = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(("ann@h.test", "Ann", "active", 1L, 120L, 2.5m), (
            first.GetProperty("email").GetString(), first.GetProperty("displayName").GetString(), first.GetProperty("status").GetString(),
            first.GetProperty("requests").GetInt64(), first.GetProperty("totalTokens").GetInt64(), first.GetProperty("spend").GetDecimal()));
        var next = await JsonAsync(await client.GetAsync($"/api/admin/thinktank/users?sort=spend&limit=1&cursor={page.GetProperty("nextCursor").GetString()}", Ct));
        Assert.Equal("ben@h.test", next.GetProperty("items")[0].GetProperty("email").GetString());

        var found = await JsonAsync(await client.GetAsync("/api/admin/thinktank/users?search=BE&status=active&activeSince=2020-01-01", Ct));
        Assert.Equal("ben@h.test", Assert.Single(found.GetProperty("items").EnumerateArray()).GetProperty("email").GetString());

        var stats = await JsonAsync(await client.GetAsync("/api/admin/thinktank/users/stats", Ct));
        Assert.Equal((3L, 2L, 3L, 0L, 3.0m), (
            stats.GetProperty("totalUsers").GetInt64(), stats.GetProperty("activeUsers7d").GetInt64(), stats.GetProperty("newUsersThisMonth").GetInt64(),
            stats.GetProperty("suspendedUsers").GetInt64(), stats.GetProperty("spendThisMonth").GetDecimal()));

        var one = await JsonAsync(await client.GetAsync($"/api/admin/thinktank/users/{ann.UserId}", Ct));
        Assert.Equal(ann.UserId, one.GetProperty("userId").GetGuid());
        Assert.Equal(HttpStatusCode.NotFound, (await api.As(RadiantApi.NewAdmin()).GetAsync($"/api/admin/thinktank/users/{ann.UserId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.As(ann).GetAsync("/api/admin/thinktank/users", Ct)).StatusCode);

        var bad = await client.GetAsync("/api/admin/thinktank/users?sort=popularity&status=gone&activeSince=yesterday", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
        Assert.Equal(["activeSince", "sort", "status"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task The_export_is_a_spreadsheet_ready_csv_of_the_filtered_list()
    {
        var tenant = Guid.NewGuid();
        var admin = RadiantApi.NewAdmin(tenant);
        var quoted = await UserAsync(tenant, "q@x.test", "Smith, \"Jr\"");
        // "fo": no prefix of the admin's generated (hexadecimal) identity can match it.
        var formula = await UserAsync(tenant, "fo@x.test", "=HYPERLINK(\"http://evil\")");
        await UserAsync(tenant, "zed@other.test", "Zed Ünal");
        await RecordAsync(quoted, 1.5m);

        var response = await api.As(admin).GetAsync("/api/admin/thinktank/users/export?search=fo&sort=email", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment; filename=\"thinktank-users-", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var filtered = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(Ct)).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, filtered.Length);
        Assert.StartsWith($"{formula.UserId},fo@x.test,\"'=HYPERLINK(\"\"http://evil\"\")\",,active,0,0,0,0,0,0.00,,", filtered[1], StringComparison.Ordinal);

        var all = await api.As(admin).GetAsync("/api/admin/thinktank/users/export?sort=spend", Ct);
        var bytes = await all.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n");
        Assert.Equal(
            "User ID,Email,Display Name,Tier,Status,Requests,Failed Requests,Input Tokens,Output Tokens,Total Tokens,Spend (USD),Last Active (UTC),Created (UTC),Status Changed (UTC),Status Changed By",
            lines[0]);
        Assert.StartsWith($"{quoted.UserId},q@x.test,\"Smith, \"\"Jr\"\"\",,active,1,0,100,20,120,1.50,20", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains(",Zed Ünal,", StringComparison.Ordinal));
        Assert.Equal("", lines[^1]);
        Assert.Equal(6, lines.Length); // header, the admin and three users, and the final line break
    }

    [Fact]
    public async Task A_suspended_user_is_refused_on_every_route_with_a_clear_problem_until_reactivated()
    {
        var tenant = Guid.NewGuid();
        var admin = api.As(RadiantApi.NewAdmin(tenant));
        var member = RadiantApi.NewAdmin(tenant);
        var client = api.As(member);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/personas", Ct)).StatusCode);

        var suspended = await JsonAsync(await admin.PostAsync($"/api/admin/thinktank/users/{member.UserId}/suspend", null, Ct));
        Assert.Equal("suspended", suspended.GetProperty("status").GetString());

        var routes = RadiantRoutes().ToList();
        Assert.Contains(routes, r => r.Pattern == "/api/thinktank/chat");
        foreach (var (method, pattern) in routes)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", Guid.NewGuid().ToString());
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is not "GET" and not "DELETE")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {pattern}: {(int)response.StatusCode} {body}");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("Account suspended.", problem.GetProperty("title").GetString());
            Assert.StartsWith("Your account is suspended", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal("account_suspended", problem.GetProperty("code").GetString());
        }

        Assert.True(routes.Count >= 40, $"{routes.Count} routes");
        Assert.Equal("active", (await JsonAsync(await admin.PostAsync($"/api/admin/thinktank/users/{member.UserId}/reactivate", null, Ct))).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/personas", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/thinktank/users/stats", Ct)).StatusCode);
    }

    [Fact]
    public async Task Suspending_yourself_or_an_unknown_user_is_refused()
    {
        var me = RadiantApi.NewAdmin();
        var client = api.As(me);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/admin/thinktank/users/{me.UserId}/suspend", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/admin/thinktank/users/{Guid.NewGuid()}/suspend", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/admin/thinktank/users/{Guid.NewGuid()}/reactivate", null, Ct)).StatusCode);
    }

    private IEnumerable<(string Method, string Pattern)> RadiantRoutes()
    {
        var sources = api.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<RadiantRouteMetadata>() is not null))
        {
            yield return (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Single(), endpoint.RoutePattern.RawText!);
        }
    }
}
