using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Radiant.Tests.Http;

namespace Radiant.Tests.Teams;

/// <summary>The <c>/api/teams</c> routes through the real ASP.NET Core pipeline.</summary>
public sealed class TeamEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>A user who has sent a request (so is provisioned) and can be invited.</summary>
    private async Task<(RadiantApi.Caller Caller, HttpClient Client)> ProvisionedAsync(Guid tenantId)
    {
        var caller = RadiantApi.NewUser(tenantId);
        var client = api.As(caller);
        await OkAsync(await client.GetAsync("/api/teams", Ct));
        return (caller, client);
    }

    private static async Task<Guid> CreateTeamAsync(HttpClient owner, object? body = null)
    {
        var response = await owner.PostAsJsonAsync("/api/teams", body ?? new { name = "Crew", type = "team", maxMembers = 5, totalTokensMonthly = 1_000 }, Ct);
        return (await OkAsync(response, HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    private async Task<(RadiantApi.Caller Caller, HttpClient Client)> MemberAsync(HttpClient owner, Guid teamId, Guid tenantId, string role = "member")
    {
        var member = await ProvisionedAsync(tenantId);
        await OkAsync(await owner.PostAsJsonAsync($"/api/teams/{teamId}/members", new { userId = member.Caller.UserId, role }, Ct));
        await OkAsync(await member.Client.PostAsync($"/api/teams/{teamId}/invitations/accept", null, Ct));
        return member;
    }

    [Fact]
    public async Task Create_get_list_and_update_a_plan()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);

        var response = await client.PostAsJsonAsync(
            "/api/teams", new { name = "Smiths", type = "family", maxMembers = 4, totalTokensMonthly = 20_000, sharedPool = false, billingEmail = "pay@smith.test" }, Ct);

        var created = await OkAsync(response, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"/api/teams/{id}", response.Headers.Location?.ToString());
        Assert.Equal("family", created.GetProperty("type").GetString());
        Assert.Equal(owner.UserId, created.GetProperty("ownerId").GetGuid());
        Assert.Equal(owner.TenantId, created.GetProperty("tenantId").GetGuid());
        Assert.False(created.GetProperty("sharedPool").GetBoolean());
        Assert.Equal(0, created.GetProperty("tokensUsedThisPeriod").GetInt64());
        Assert.True(created.GetProperty("currentPeriodEnd").GetDateTimeOffset() > created.GetProperty("currentPeriodStart").GetDateTimeOffset());

        Assert.Equal("Smiths", (await OkAsync(await client.GetAsync($"/api/teams/{id}", Ct))).GetProperty("name").GetString());
        Assert.Equal(id, (await OkAsync(await client.GetAsync("/api/teams", Ct))).GetProperty("items")[0].GetProperty("id").GetGuid());

        var updated = await OkAsync(await client.PutAsync($"/api/teams/{id}", Json("""{"name":"Smith family","billingEmail":null,"maxMembers":6}"""), Ct));
        Assert.Equal("Smith family", updated.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("billingEmail").ValueKind);
        Assert.Equal(6, updated.GetProperty("maxMembers").GetInt32());
        Assert.Equal(20_000, updated.GetProperty("totalTokensMonthly").GetInt64());
    }

    [Fact]
    public async Task Bad_plans_are_validation_problems_naming_each_field()
    {
        var client = api.As(RadiantApi.NewUser());

        var response = await client.PostAsJsonAsync("/api/teams", new { name = "", type = "team", maxMembers = 0, totalTokensMonthly = 0, billingEmail = "nope" }, Ct);

        var errors = (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal(
            new[] { "billingEmail", "maxMembers", "name", "totalTokensMonthly" },
            errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/teams", Json("""{"name":"x","type":"club","maxMembers":2,"totalTokensMonthly":5}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/teams", Json("{not json"), Ct)).StatusCode);
        Assert.Equal(0, (await OkAsync(await client.GetAsync("/api/teams", Ct))).GetProperty("items").GetArrayLength());

        var id = await CreateTeamAsync(client);
        var put = await client.PutAsync($"/api/teams/{id}", Json("""{"name":"","maxMembers":10001}"""), Ct);
        var putErrors = (await ProblemAsync(put, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(putErrors.TryGetProperty("name", out _) && putErrors.TryGetProperty("maxMembers", out _));
        Assert.Equal("Crew", (await OkAsync(await client.GetAsync($"/api/teams/{id}", Ct))).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Invite_accept_decline_and_list_members()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var id = await CreateTeamAsync(client);
        var accepting = await ProvisionedAsync(owner.TenantId);
        var declining = await ProvisionedAsync(owner.TenantId);

        var invited = await OkAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = accepting.Caller.UserId }, Ct));
        Assert.Equal("pending", invited.GetProperty("status").GetString());
        Assert.Equal("member", invited.GetProperty("role").GetString());
        await OkAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = declining.Caller.UserId, role = "admin" }, Ct));

        // The pending invitee sees the plan and answers.
        Assert.Equal(id, (await OkAsync(await accepting.Client.GetAsync($"/api/teams/{id}", Ct))).GetProperty("id").GetGuid());
        var accepted = await OkAsync(await accepting.Client.PostAsync($"/api/teams/{id}/invitations/accept", null, Ct));
        Assert.Equal("active", accepted.GetProperty("status").GetString());
        var declined = await OkAsync(await declining.Client.PostAsync($"/api/teams/{id}/invitations/decline", null, Ct));
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        await ProblemAsync(await declining.Client.PostAsync($"/api/teams/{id}/invitations/accept", null, Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await declining.Client.PostAsync($"/api/teams/{id}/invitations/decline", null, Ct), HttpStatusCode.NotFound);

        var members = (await OkAsync(await accepting.Client.GetAsync($"/api/teams/{id}/members", Ct))).GetProperty("items");
        Assert.Equal(3, members.GetArrayLength());
        Assert.Equal("owner", members[0].GetProperty("role").GetString());
        Assert.Equal(owner.UserId, members[0].GetProperty("userId").GetGuid());
        Assert.Equal($"{owner.UserId}@example.test", members[0].GetProperty("email").GetString());
        Assert.Equal(
            new[] { "active", "active", "declined" },
            members.EnumerateArray().Select(m => m.GetProperty("status").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bad_invitations_are_refused_with_the_right_status()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var id = await CreateTeamAsync(client, new { name = "Tiny", type = "family", maxMembers = 3, totalTokensMonthly = 100 });
        var member = await MemberAsync(client, id, owner.TenantId);
        var next = await ProvisionedAsync(owner.TenantId);
        var last = await ProvisionedAsync(owner.TenantId);

        var asOwner = await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = next.Caller.UserId, role = "owner" }, Ct), HttpStatusCode.BadRequest);
        Assert.True(asOwner.GetProperty("errors").TryGetProperty("role", out _));
        await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = Guid.NewGuid() }, Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = member.Caller.UserId }, Ct), HttpStatusCode.Conflict);
        await OkAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = next.Caller.UserId }, Ct));
        await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = next.Caller.UserId }, Ct), HttpStatusCode.Conflict);
        // The pending invitation holds the last seat.
        var full = await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = last.Caller.UserId }, Ct), HttpStatusCode.Conflict);
        Assert.Equal("max_members", full.GetProperty("limit").GetString());
        Assert.Equal(0, full.GetProperty("remaining").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/teams/{id}/members", Json("""{"userId":"not-a-guid"}"""), Ct)).StatusCode);
        // A member who does not manage the plan may not invite.
        await ProblemAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = last.Caller.UserId }, Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Roles_allocations_and_removal_through_members_routes()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var id = await CreateTeamAsync(client, new { name = "Alloc", type = "team", maxMembers = 5, totalTokensMonthly = 1_000, sharedPool = false });
        var admin = await MemberAsync(client, id, owner.TenantId);
        var member = await MemberAsync(client, id, owner.TenantId);

        var promoted = await OkAsync(await client.PutAsync($"/api/teams/{id}/members/{admin.Caller.UserId}", Json("""{"role":"admin","tokenAllocation":600}"""), Ct));
        Assert.Equal("admin", promoted.GetProperty("role").GetString());
        Assert.Equal(600, promoted.GetProperty("tokenAllocation").GetInt64());

        var tooMuch = await ProblemAsync(await admin.Client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"tokenAllocation":500}"""), Ct), HttpStatusCode.Conflict);
        Assert.Equal("team_pool", tooMuch.GetProperty("limit").GetString());
        Assert.Equal(400, tooMuch.GetProperty("remaining").GetInt64());
        Assert.Equal(400, (await OkAsync(await admin.Client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"tokenAllocation":400}"""), Ct))).GetProperty("tokenAllocation").GetInt64());
        var cleared = await OkAsync(await client.PutAsync($"/api/teams/{id}/members/{admin.Caller.UserId}", Json("""{"tokenAllocation":null}"""), Ct));
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("tokenAllocation").ValueKind);
        Assert.Equal("admin", cleared.GetProperty("role").GetString());

        await ProblemAsync(await client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"tokenAllocation":-1}"""), Ct), HttpStatusCode.BadRequest);
        await ProblemAsync(await member.Client.PutAsync($"/api/teams/{id}/members/{admin.Caller.UserId}", Json("""{"role":"member"}"""), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await admin.Client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"role":"owner"}"""), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await admin.Client.PutAsync($"/api/teams/{id}/members/{owner.UserId}", Json("""{"role":"member"}"""), Ct), HttpStatusCode.Conflict);
        await ProblemAsync(await client.PutAsync($"/api/teams/{id}/members/{Guid.NewGuid()}", Json("""{"role":"admin"}"""), Ct), HttpStatusCode.NotFound);

        // Ownership handed over: the former owner is an admin.
        Assert.Equal("owner", (await OkAsync(await client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"role":"owner"}"""), Ct))).GetProperty("role").GetString());
        Assert.Equal(member.Caller.UserId, (await OkAsync(await client.GetAsync($"/api/teams/{id}", Ct))).GetProperty("ownerId").GetGuid());

        // Removal: not the owner; a member leaves on their own; an admin removes another.
        await ProblemAsync(await client.DeleteAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Ct), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteAsync($"/api/teams/{id}/members/{admin.Caller.UserId}", Ct)).StatusCode);
        await ProblemAsync(await admin.Client.GetAsync($"/api/teams/{id}", Ct), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/api/teams/{id}/members/{owner.UserId}", Ct)).StatusCode);
        await ProblemAsync(await member.Client.DeleteAsync($"/api/teams/{id}/members/{owner.UserId}", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Usage_is_recorded_and_a_refusal_names_the_limit_and_what_remains()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var id = await CreateTeamAsync(client, new { name = "Pool", type = "team", maxMembers = 5, totalTokensMonthly = 1_000 });
        var member = await MemberAsync(client, id, owner.TenantId);

        var recorded = await OkAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 700, model = "gpt-4o", usageType = "chat" }, Ct));
        Assert.Equal(700, recorded.GetProperty("teamTokensUsed").GetInt64());
        Assert.Equal(300, recorded.GetProperty("teamTokensRemaining").GetInt64());
        Assert.Equal(700, recorded.GetProperty("memberTokensUsed").GetInt64());
        Assert.Equal(JsonValueKind.Null, recorded.GetProperty("memberTokensRemaining").ValueKind);

        var refused = await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 301 }, Ct), HttpStatusCode.Conflict);
        Assert.Equal("team_pool", refused.GetProperty("limit").GetString());
        Assert.Equal(300, refused.GetProperty("remaining").GetInt64());
        Assert.Equal(409, refused.GetProperty("status").GetInt32());
        Assert.Contains("300", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var bad = await ProblemAsync(await client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 0 }, Ct), HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("tokens", out _));
        Assert.Equal(700, (await OkAsync(await client.GetAsync($"/api/teams/{id}/stats", Ct))).GetProperty("tokensUsed").GetInt64());
    }

    [Fact]
    public async Task An_allocation_refusal_names_the_member_allocation()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);
        var id = await CreateTeamAsync(client, new { name = "Alloc", type = "team", maxMembers = 5, totalTokensMonthly = 1_000, sharedPool = false });
        var member = await MemberAsync(client, id, owner.TenantId);

        var none = await ProblemAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 1 }, Ct), HttpStatusCode.Conflict);
        Assert.Equal("member_allocation", none.GetProperty("limit").GetString());
        Assert.Equal(0, none.GetProperty("remaining").GetInt64());

        await OkAsync(await client.PutAsync($"/api/teams/{id}/members/{member.Caller.UserId}", Json("""{"tokenAllocation":250}"""), Ct));
        Assert.Equal(50, (await OkAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 200 }, Ct))).GetProperty("memberTokensRemaining").GetInt64());
        var over = await ProblemAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 51 }, Ct), HttpStatusCode.Conflict);
        Assert.Equal("member_allocation", over.GetProperty("limit").GetString());
        Assert.Equal(50, over.GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task Stats_periods_and_a_tenant_admins_reset()
    {
        var admin = RadiantApi.NewAdmin();
        var owner = RadiantApi.NewUser(admin.TenantId);
        var client = api.As(owner);
        var id = await CreateTeamAsync(client, new { name = "Stats", type = "enterprise", maxMembers = 5, totalTokensMonthly = 3_000 });
        var member = await MemberAsync(client, id, owner.TenantId);
        await OkAsync(await client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 1_000 }, Ct));

        var stats = await OkAsync(await member.Client.GetAsync($"/api/teams/{id}/stats", Ct));
        Assert.Equal("Stats", stats.GetProperty("planName").GetString());
        Assert.Equal(3_000, stats.GetProperty("totalTokensMonthly").GetInt64());
        Assert.Equal(1_000, stats.GetProperty("tokensUsed").GetInt64());
        Assert.Equal(2_000, stats.GetProperty("tokensRemaining").GetInt64());
        var first = stats.GetProperty("members")[0];
        Assert.Equal(owner.UserId, first.GetProperty("userId").GetGuid());
        Assert.Equal("owner", first.GetProperty("role").GetString());
        Assert.Equal($"{owner.UserId}@example.test", first.GetProperty("email").GetString());
        Assert.Equal("Test", first.GetProperty("displayName").GetString());
        Assert.Equal(33.33m, first.GetProperty("shareOfPoolPercent").GetDecimal());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("allocation").ValueKind);
        Assert.Equal(0m, stats.GetProperty("members")[1].GetProperty("shareOfPoolPercent").GetDecimal());
        Assert.Equal(0, (await OkAsync(await client.GetAsync($"/api/teams/{id}/periods", Ct))).GetProperty("items").GetArrayLength());

        // Only tenant admins reset, whether or not they belong to the plan.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/teams/{id}/reset", null, Ct)).StatusCode);
        var reset = await OkAsync(await api.As(admin).PostAsync($"/api/teams/{id}/reset", null, Ct));
        Assert.Equal(0, reset.GetProperty("tokensUsedThisPeriod").GetInt64());
        await ProblemAsync(await api.As(admin).PostAsync($"/api/teams/{Guid.NewGuid()}/reset", null, Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await api.As(RadiantApi.NewAdmin()).PostAsync($"/api/teams/{id}/reset", null, Ct), HttpStatusCode.NotFound);

        var periods = await OkAsync(await member.Client.GetAsync($"/api/teams/{id}/periods", Ct));
        var period = Assert.Single(periods.GetProperty("items").EnumerateArray());
        Assert.Equal(1_000, period.GetProperty("tokensUsed").GetInt64());
        Assert.Equal(3_000, period.GetProperty("totalTokensMonthly").GetInt64());
        Assert.Equal(reset.GetProperty("currentPeriodStart").GetDateTimeOffset(), period.GetProperty("periodEnd").GetDateTimeOffset());
        Assert.Equal(0, (await OkAsync(await client.GetAsync($"/api/teams/{id}/stats", Ct))).GetProperty("tokensUsed").GetInt64());
    }

    [Fact]
    public async Task Non_members_get_404_on_every_team_route()
    {
        var owner = RadiantApi.NewUser();
        var id = await CreateTeamAsync(api.As(owner));
        var colleague = await ProvisionedAsync(owner.TenantId);
        var outsider = await ProvisionedAsync(Guid.NewGuid());

        foreach (var client in new[] { colleague.Client, outsider.Client })
        {
            foreach (var (method, path, body) in TeamRoutes(id, owner.UserId))
            {
                var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : Json(body) }, Ct);
                await ProblemAsync(response, HttpStatusCode.NotFound);
            }

            Assert.Equal(0, (await OkAsync(await client.GetAsync("/api/teams", Ct))).GetProperty("items").GetArrayLength());
        }
    }

    [Fact]
    public async Task Members_who_do_not_manage_the_plan_get_403_on_management_routes()
    {
        var owner = RadiantApi.NewUser();
        var ownerClient = api.As(owner);
        var id = await CreateTeamAsync(ownerClient);
        var member = await MemberAsync(ownerClient, id, owner.TenantId);
        var other = await MemberAsync(ownerClient, id, owner.TenantId);

        await ProblemAsync(await member.Client.PutAsync($"/api/teams/{id}", Json("""{"name":"mine"}"""), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = Guid.NewGuid() }, Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await member.Client.PutAsync($"/api/teams/{id}/members/{other.Caller.UserId}", Json("""{"tokenAllocation":1}"""), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await member.Client.DeleteAsync($"/api/teams/{id}/members/{other.Caller.UserId}", Ct), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Client.PostAsync($"/api/teams/{id}/reset", null, Ct)).StatusCode);
        // What members may do.
        await OkAsync(await member.Client.GetAsync($"/api/teams/{id}/members", Ct));
        await OkAsync(await member.Client.GetAsync($"/api/teams/{id}/stats", Ct));
        await OkAsync(await member.Client.GetAsync($"/api/teams/{id}/periods", Ct));
        await OkAsync(await member.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 1 }, Ct));
    }

    [Fact]
    public async Task A_pending_invitee_may_not_use_the_plan_yet()
    {
        var owner = RadiantApi.NewUser();
        var ownerClient = api.As(owner);
        var id = await CreateTeamAsync(ownerClient);
        var invitee = await ProvisionedAsync(owner.TenantId);
        await OkAsync(await ownerClient.PostAsJsonAsync($"/api/teams/{id}/members", new { userId = invitee.Caller.UserId }, Ct));

        await ProblemAsync(await invitee.Client.PostAsJsonAsync($"/api/teams/{id}/usage", new { tokens = 1 }, Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await invitee.Client.GetAsync($"/api/teams/{id}/stats", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Without_credentials_every_team_route_is_401()
    {
        var client = api.Anonymous();
        var routes = TeamRoutes(Guid.NewGuid(), Guid.NewGuid()).Append(("GET", "/api/teams", null)).Append(("POST", "/api/teams", "{}")).Append(("POST", $"/api/teams/{Guid.NewGuid()}/reset", null));

        foreach (var (method, path, body) in routes)
        {
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json(body ?? "{}") }, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} gave {response.StatusCode}");
        }
    }

    /// <summary>Every route of a plan a member may reach (the tenant-admin reset aside).</summary>
    private static (string Method, string Path, string? Body)[] TeamRoutes(Guid id, Guid userId) =>
    [
        ("GET", $"/api/teams/{id}", null),
        ("PUT", $"/api/teams/{id}", """{"name":"x"}"""),
        ("GET", $"/api/teams/{id}/members", null),
        ("POST", $"/api/teams/{id}/members", $$"""{"userId":"{{Guid.NewGuid()}}"}"""),
        ("PUT", $"/api/teams/{id}/members/{userId}", """{"role":"admin"}"""),
        ("DELETE", $"/api/teams/{id}/members/{userId}", null),
        ("POST", $"/api/teams/{id}/invitations/accept", null),
        ("POST", $"/api/teams/{id}/invitations/decline", null),
        ("POST", $"/api/teams/{id}/usage", """{"tokens":1}"""),
        ("GET", $"/api/teams/{id}/stats", null),
        ("GET", $"/api/teams/{id}/periods", null),
    ];
}
