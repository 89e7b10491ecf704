using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Http;

public sealed class PersonaEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static async Task<JsonElement> CreateAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/personas", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task Create_list_get_update_delete_round_trip()
    {
        var client = api.As(RadiantApi.NewUser());

        var created = await CreateAsync(client, new { name = "Sage", systemPrompt = "You are wise.", traits = new[] { "calm" }, displayName = "The Sage" });
        var id = created.GetProperty("id").GetGuid();

        var list = await JsonAsync(await client.GetAsync("/api/personas", Ct));
        Assert.Equal(id, list.GetProperty("items")[0].GetProperty("id").GetGuid());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("nextCursor").ValueKind);

        var got = await client.GetAsync($"/api/personas/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);

        var put = await client.PutAsync($"/api/personas/{id}", JsonContent("""{"name":"Sage II","displayName":null}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var updated = await JsonAsync(put);
        Assert.Equal("Sage II", updated.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("displayName").ValueKind);
        Assert.Equal("calm", updated.GetProperty("traits")[0].GetString());
        Assert.Equal("You are wise.", updated.GetProperty("systemPrompt").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/personas/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Create_returns_the_location_of_the_new_persona()
    {
        var client = api.As(RadiantApi.NewUser());
        var response = await client.PostAsJsonAsync("/api/personas", new { name = "Loc", systemPrompt = "p" }, Ct);
        var id = (await JsonAsync(response)).GetProperty("id").GetGuid();
        Assert.Equal($"/api/personas/{id}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Bad_input_is_a_validation_problem_naming_each_field()
    {
        var client = api.As(RadiantApi.NewUser());

        var response = await client.PostAsJsonAsync("/api/personas", new { name = "", systemPrompt = "p", avatarUrl = "ftp://x/y.png", traits = new[] { "" } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await JsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("avatarUrl", out _));
        Assert.True(errors.TryGetProperty("traits", out _));
        Assert.Empty((await JsonAsync(await client.GetAsync("/api/personas", Ct))).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"name": 5, "systemPrompt": "p"}""")]
    [InlineData("")]
    public async Task Malformed_bodies_are_bad_requests(string body)
    {
        var client = api.As(RadiantApi.NewUser());

        var response = await client.PostAsync("/api/personas", JsonContent(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Update_with_bad_input_changes_nothing()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client, new { name = "Keep", systemPrompt = "p" })).GetProperty("id").GetGuid();

        var response = await client.PutAsync($"/api/personas/{id}", JsonContent("""{"name":"Changed","systemPrompt":null}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("systemPrompt", out _));
        Assert.Equal("Keep", (await JsonAsync(await client.GetAsync($"/api/personas/{id}", Ct))).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Paging_parameters_are_validated()
    {
        var client = api.As(RadiantApi.NewUser());

        var response = await client.GetAsync("/api/personas?limit=0", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task Without_credentials_every_route_is_401()
    {
        var client = api.Anonymous();
        var id = Guid.NewGuid();

        foreach (var (method, path) in new[]
                 {
                     ("GET", "/api/personas"), ("POST", "/api/personas"), ("GET", $"/api/personas/{id}"), ("PUT", $"/api/personas/{id}"),
                     ("DELETE", $"/api/personas/{id}"), ("POST", $"/api/personas/{id}/usage"), ("GET", $"/api/personas/{id}/prompt"),
                     ("GET", "/api/focus-modes"), ("GET", "/api/admin/focus-modes"), ("POST", "/api/admin/focus-modes"),
                 })
        {
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent("{}") }, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} gave {response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_principal_without_a_tenant_claim_is_forbidden_with_a_reason()
    {
        var client = api.Anonymous();
        client.DefaultRequestHeaders.Add("X-Test-User", Guid.NewGuid().ToString());

        var response = await client.GetAsync("/api/personas", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("tenant_id", (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_persona_is_404_and_a_colleagues_public_persona_is_403_to_edit()
    {
        var owner = RadiantApi.NewUser();
        var ownerClient = api.As(owner);
        var id = (await CreateAsync(ownerClient, new { name = "Shared", systemPrompt = "p", isPublic = true })).GetProperty("id").GetGuid();
        var colleague = api.As(RadiantApi.NewUser(owner.TenantId));
        var outsider = api.As(RadiantApi.NewUser());

        Assert.Equal(HttpStatusCode.OK, (await colleague.GetAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await colleague.PutAsync($"/api/personas/{id}", JsonContent("""{"name":"x"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await colleague.DeleteAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.PutAsync($"/api/personas/{id}", JsonContent("""{"name":"x"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.DeleteAsync($"/api/personas/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.PostAsync($"/api/personas/{id}/usage", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/personas/{id}/prompt", Ct)).StatusCode);
    }

    [Fact]
    public async Task Usage_is_counted_and_validated()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client, new { name = "Used", systemPrompt = "p" })).GetProperty("id").GetGuid();

        var first = await JsonAsync(await client.PostAsync($"/api/personas/{id}/usage", null, Ct));
        var second = await JsonAsync(await client.PostAsJsonAsync($"/api/personas/{id}/usage", new { chatId = Guid.NewGuid(), tokensUsed = 42 }, Ct));
        var bad = await client.PostAsJsonAsync($"/api/personas/{id}/usage", new { tokensUsed = -1 }, Ct);

        Assert.Equal(1, first.GetProperty("usageCount").GetInt64());
        Assert.Equal(2, second.GetProperty("usageCount").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await JsonAsync(bad)).GetProperty("errors").TryGetProperty("tokensUsed", out _));
    }

    [Fact]
    public async Task Prompt_combines_persona_and_focus_mode()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client, new { name = "Coder", systemPrompt = "You pair-program.", domains = new[] { "C#" } })).GetProperty("id").GetGuid();

        var plain = await JsonAsync(await client.GetAsync($"/api/personas/{id}/prompt", Ct));
        var focused = await JsonAsync(await client.GetAsync($"/api/personas/{id}/prompt?focusMode=code", Ct));
        var unknown = await client.GetAsync($"/api/personas/{id}/prompt?focusMode=nope", Ct);

        Assert.Equal("You pair-program.\n\nAreas of expertise: C#.", plain.GetProperty("prompt").GetString());
        Assert.Contains("Focus mode: Code Expert.", focused.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal("code", focused.GetProperty("focusMode").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
