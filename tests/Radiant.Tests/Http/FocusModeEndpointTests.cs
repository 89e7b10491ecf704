using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Radiant.Tests.Http;

public sealed class FocusModeEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Users_list_the_system_modes_then_their_tenants()
    {
        var admin = RadiantApi.NewAdmin();
        await api.As(admin).PostAsJsonAsync("/api/admin/focus-modes", new { name = "legal", displayName = "Legal", systemPrompt = "p" }, Ct);
        var user = api.As(RadiantApi.NewUser(admin.TenantId));

        var modes = await JsonAsync(await user.GetAsync("/api/focus-modes", Ct));

        Assert.Equal(["analyst", "code", "general", "researcher", "writer", "legal"], modes.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.True(modes[0].GetProperty("isSystem").GetBoolean());
    }

    [Fact]
    public async Task Admin_creates_edits_and_deactivates_a_mode()
    {
        var admin = api.As(RadiantApi.NewAdmin());

        var created = await admin.PostAsJsonAsync("/api/admin/focus-modes", new { name = "legal", displayName = "Legal", systemPrompt = "p", icon = "Scale" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await JsonAsync(created)).GetProperty("id").GetGuid();

        var edited = await admin.PutAsync($"/api/admin/focus-modes/{id}", Json("""{"displayName":"Legal Counsel","icon":null}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var body = await JsonAsync(edited);
        Assert.Equal("Legal Counsel", body.GetProperty("displayName").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("icon").ValueKind);

        var deactivated = await admin.DeleteAsync($"/api/admin/focus-modes/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.False((await JsonAsync(deactivated)).GetProperty("isActive").GetBoolean());

        var visible = await JsonAsync(await admin.GetAsync("/api/focus-modes", Ct));
        Assert.DoesNotContain(visible.EnumerateArray(), m => m.GetProperty("id").GetGuid() == id);
        var all = await JsonAsync(await admin.GetAsync("/api/admin/focus-modes", Ct));
        Assert.Contains(all.EnumerateArray(), m => m.GetProperty("id").GetGuid() == id);
        var activeOnly = await JsonAsync(await admin.GetAsync("/api/admin/focus-modes?includeInactive=false", Ct));
        Assert.DoesNotContain(activeOnly.EnumerateArray(), m => m.GetProperty("id").GetGuid() == id);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/admin/focus-modes/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_non_admin_is_forbidden_on_every_admin_route()
    {
        var user = api.As(RadiantApi.NewUser());
        var id = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/api/admin/focus-modes", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync("/api/admin/focus-modes", new { name = "x", displayName = "X", systemPrompt = "p" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync($"/api/admin/focus-modes/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PutAsync($"/api/admin/focus-modes/{id}", Json("{}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.DeleteAsync($"/api/admin/focus-modes/{id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Errors_are_problem_details_with_the_right_status()
    {
        var admin = RadiantApi.NewAdmin();
        var client = api.As(admin);
        var system = (await JsonAsync(await client.GetAsync("/api/focus-modes", Ct)))[0].GetProperty("id").GetGuid();
        await client.PostAsJsonAsync("/api/admin/focus-modes", new { name = "dup", displayName = "D", systemPrompt = "p" }, Ct);

        var invalid = await client.PostAsJsonAsync("/api/admin/focus-modes", new { name = "Bad Name", displayName = "", systemPrompt = "p" }, Ct);
        var duplicate = await client.PostAsJsonAsync("/api/admin/focus-modes", new { name = "dup", displayName = "D", systemPrompt = "p" }, Ct);
        var systemName = await client.PostAsJsonAsync("/api/admin/focus-modes", new { name = "code", displayName = "D", systemPrompt = "p" }, Ct);
        var systemEdit = await client.PutAsync($"/api/admin/focus-modes/{system}", Json("""{"displayName":"x"}"""), Ct);
        var missing = await client.PutAsync($"/api/admin/focus-modes/{Guid.NewGuid()}", Json("""{"displayName":"x"}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await JsonAsync(invalid)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _) && errors.TryGetProperty("displayName", out _));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, systemName.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, systemEdit.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        foreach (var response in new[] { invalid, duplicate, systemName, systemEdit, missing })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Another_tenants_mode_is_not_found_for_an_admin()
    {
        var owner = api.As(RadiantApi.NewAdmin());
        var id = (await JsonAsync(await owner.PostAsJsonAsync("/api/admin/focus-modes", new { name = "mine", displayName = "M", systemPrompt = "p" }, Ct))).GetProperty("id").GetGuid();
        var otherAdmin = api.As(RadiantApi.NewAdmin());

        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.GetAsync($"/api/admin/focus-modes/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.PutAsync($"/api/admin/focus-modes/{id}", Json("""{"displayName":"x"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherAdmin.DeleteAsync($"/api/admin/focus-modes/{id}", Ct)).StatusCode);
    }
}
