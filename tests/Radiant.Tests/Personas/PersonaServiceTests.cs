using System.Text.Json;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Personas;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Personas;

public sealed class PersonaServiceTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PersonaCreate Sage(bool isPublic = false) => new(
        "Sage", "You are wise.", DisplayName: "The Sage", AvatarUrl: "https://example.test/sage.png", VoiceId: "v1",
        Traits: ["calm", "patient"], Domains: ["philosophy"], Style: JsonDocument.Parse("""{"tone":"warm"}""").RootElement, IsPublic: isPublic);

    [Fact]
    public async Task Create_then_get_returns_every_field()
    {
        var user = await db.NewUserAsync();
        var created = await db.Personas.CreateAsync(user, Sage(), Ct);

        var read = await db.Personas.GetAsync(user, created.Id, Ct);

        Assert.Equal(user.TenantId, read.TenantId);
        Assert.Equal(user.UserId, read.OwnerId);
        Assert.Equal("Sage", read.Name);
        Assert.Equal("The Sage", read.DisplayName);
        Assert.Equal("https://example.test/sage.png", read.AvatarUrl);
        Assert.Equal("You are wise.", read.SystemPrompt);
        Assert.Equal("v1", read.VoiceId);
        Assert.Equal(["calm", "patient"], read.Traits);
        Assert.Equal(["philosophy"], read.Domains);
        Assert.Equal("warm", read.Style.GetProperty("tone").GetString());
        Assert.False(read.IsPublic);
        Assert.Equal(0, read.UsageCount);
    }

    [Fact]
    public async Task Partial_update_keeps_absent_fields_and_clears_explicit_nulls()
    {
        var user = await db.NewUserAsync();
        var created = await db.Personas.CreateAsync(user, Sage(), Ct);

        var updated = await db.Personas.UpdateAsync(user, created.Id, new PersonaUpdate
        {
            Name = "Sage II",
            DisplayName = null,
            Traits = null,
            Style = (JsonElement?)null,
        }, Ct);

        Assert.Equal("Sage II", updated.Name);
        Assert.Null(updated.DisplayName);
        Assert.Empty(updated.Traits);
        Assert.Equal(JsonValueKind.Object, updated.Style.ValueKind);
        Assert.False(updated.Style.EnumerateObject().Any());
        // Absent fields are untouched.
        Assert.Equal("You are wise.", updated.SystemPrompt);
        Assert.Equal("https://example.test/sage.png", updated.AvatarUrl);
        Assert.Equal(["philosophy"], updated.Domains);
        Assert.Equal("v1", updated.VoiceId);
        Assert.True(updated.UpdatedAt >= created.UpdatedAt);
    }

    [Fact]
    public async Task Update_cannot_clear_required_fields()
    {
        var user = await db.NewUserAsync();
        var created = await db.Personas.CreateAsync(user, Sage(), Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Personas.UpdateAsync(user, created.Id, new PersonaUpdate { Name = null, SystemPrompt = "" }, Ct));

        // (A null isPublic cannot even be expressed here: Optional<bool> holds a value; the HTTP binder refuses a JSON null.)
        Assert.Contains("name", error.Errors.Keys);
        Assert.Contains("systemPrompt", error.Errors.Keys);
        Assert.Equal("Sage", (await db.Personas.GetAsync(user, created.Id, Ct)).Name);
    }

    [Fact]
    public async Task Invalid_input_names_every_bad_field_and_stores_nothing()
    {
        var user = await db.NewUserAsync();
        var bad = new PersonaCreate(
            Name: new string('x', 101),
            SystemPrompt: " ",
            DisplayName: new string('d', 201),
            AvatarUrl: "ftp://example.test/a.png",
            Traits: [.. Enumerable.Range(0, 21).Select(i => $"t{i}")],
            Domains: ["ok", new string('y', 51)],
            Style: JsonDocument.Parse("[1,2]").RootElement);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Personas.CreateAsync(user, bad, Ct));

        Assert.Equal(["avatarUrl", "displayName", "domains", "name", "style", "systemPrompt", "traits"], error.Errors.Keys.Order());
        Assert.Empty((await db.Personas.ListAsync(user, PageRequest.First, Ct)).Items);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("/relative/path.png")]
    [InlineData("javascript:alert(1)")]
    [InlineData("mailto:a@example.test")]
    public async Task Avatar_url_must_be_absolute_http(string url)
    {
        var user = await db.NewUserAsync();
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            db.Personas.CreateAsync(user, new PersonaCreate("A", "p", AvatarUrl: url), Ct));
        Assert.Equal(["avatarUrl"], error.Errors.Keys);
    }

    [Fact]
    public async Task List_shows_own_and_public_personas_of_the_tenant_most_used_first()
    {
        var owner = await db.NewUserAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        var outsider = await db.NewUserAsync();
        var mine = await db.Personas.CreateAsync(owner, new PersonaCreate("Mine", "p"), Ct);
        var shared = await db.Personas.CreateAsync(colleague, new PersonaCreate("Shared", "p", IsPublic: true), Ct);
        await db.Personas.CreateAsync(colleague, new PersonaCreate("Private", "p"), Ct);
        await db.Personas.CreateAsync(outsider, new PersonaCreate("Elsewhere", "p", IsPublic: true), Ct);
        await db.Personas.LogUsageAsync(owner, shared.Id, new PersonaUsage(), Ct);

        var page = await db.Personas.ListAsync(owner, PageRequest.First, Ct);

        Assert.Equal([shared.Id, mine.Id], page.Items.Select(p => p.Id));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task List_pages_through_every_persona_once()
    {
        var user = await db.NewUserAsync();
        for (var i = 0; i < 7; i++)
        {
            await db.Personas.CreateAsync(user, new PersonaCreate($"P{i}", "p"), Ct);
        }

        // Uses between pages reorder the list (most used first): a persona moves, but none is lost or repeated.
        var seen = new List<Guid>();
        var request = new PageRequest(Limit: 3);
        while (true)
        {
            var page = await db.Personas.ListAsync(user, request, Ct);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(p => p.Id));
            if (page.NextCursor is not { } next)
            {
                break;
            }

            request = request with { Cursor = next };
        }

        Assert.Equal(7, seen.Count);
        Assert.Equal(7, seen.Distinct().Count());
        await Assert.ThrowsAsync<RadiantValidationException>(() => db.Personas.ListAsync(user, new PageRequest(Limit: 500), Ct));
        var forged = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Personas.ListAsync(user, new PageRequest("bm90IGEgY3Vyc29y", 10), Ct));
        Assert.Equal(["cursor"], forged.Errors.Keys);
    }

    [Fact]
    public async Task Only_the_owner_may_update_or_delete_a_public_persona()
    {
        var owner = await db.NewUserAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        var shared = await db.Personas.CreateAsync(owner, Sage(isPublic: true), Ct);

        Assert.Equal(shared.Id, (await db.Personas.GetAsync(colleague, shared.Id, Ct)).Id);
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.Personas.UpdateAsync(colleague, shared.Id, new PersonaUpdate { Name = "Mine now" }, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.Personas.DeleteAsync(colleague, shared.Id, Ct));
        Assert.Equal("Sage", (await db.Personas.GetAsync(owner, shared.Id, Ct)).Name);
    }

    [Fact]
    public async Task A_private_persona_is_not_found_for_a_colleague()
    {
        var owner = await db.NewUserAsync();
        var colleague = await db.NewUserAsync(owner.TenantId);
        var secret = await db.Personas.CreateAsync(owner, Sage(), Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.GetAsync(colleague, secret.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.UpdateAsync(colleague, secret.Id, new PersonaUpdate { Name = "x" }, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.LogUsageAsync(colleague, secret.Id, new PersonaUsage(), Ct));
    }

    [Fact]
    public async Task Another_tenants_persona_is_not_found_even_when_public()
    {
        var owner = await db.NewUserAsync();
        var outsider = await db.NewUserAsync();
        var shared = await db.Personas.CreateAsync(owner, Sage(isPublic: true), Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.GetAsync(outsider, shared.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.UpdateAsync(outsider, shared.Id, new PersonaUpdate { Name = "x" }, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.DeleteAsync(outsider, shared.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.LogUsageAsync(outsider, shared.Id, new PersonaUsage(), Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.BuildPromptAsync(outsider, shared.Id, null, Ct));
        Assert.Equal(0, (await db.Personas.GetAsync(owner, shared.Id, Ct)).UsageCount);
    }

    [Fact]
    public async Task Delete_removes_the_persona_and_its_usage_log()
    {
        var user = await db.NewUserAsync();
        var persona = await db.Personas.CreateAsync(user, Sage(), Ct);
        await db.Personas.LogUsageAsync(user, persona.Id, new PersonaUsage(TokensUsed: 10), Ct);

        await db.Personas.DeleteAsync(user, persona.Id, Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.GetAsync(user, persona.Id, Ct));
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, user.TenantId, user.UserId);
        Assert.Equal(0, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.persona_usage_log WHERE persona_id = '{persona.Id}'"));
    }

    [Fact]
    public async Task Logging_usage_from_50_parallel_callers_counts_exactly_50()
    {
        var owner = await db.NewUserAsync();
        var colleagues = new List<Radiant.Tenancy.RadiantCaller> { owner };
        for (var i = 0; i < 4; i++)
        {
            colleagues.Add(await db.NewUserAsync(owner.TenantId));
        }

        var persona = await db.Personas.CreateAsync(owner, Sage(isPublic: true), Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => db.Personas.LogUsageAsync(colleagues[i % colleagues.Count], persona.Id, new PersonaUsage(Guid.NewGuid(), i), Ct), Ct)));

        Assert.Equal(50, (await db.Personas.GetAsync(owner, persona.Id, Ct)).UsageCount);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), results.Select(r => r.UsageCount).Order());
        await using var connection = await db.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, owner.TenantId, owner.UserId);
        Assert.Equal(50, await RawSql.CountAsync(connection, tx, $"SELECT count(*) FROM radiant.persona_usage_log WHERE persona_id = '{persona.Id}'"));
    }

    [Fact]
    public async Task Negative_token_count_is_rejected_and_nothing_is_logged()
    {
        var user = await db.NewUserAsync();
        var persona = await db.Personas.CreateAsync(user, Sage(), Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Personas.LogUsageAsync(user, persona.Id, new PersonaUsage(TokensUsed: -1), Ct));

        Assert.Equal(["tokensUsed"], error.Errors.Keys);
        Assert.Equal(0, (await db.Personas.GetAsync(user, persona.Id, Ct)).UsageCount);
    }

    [Fact]
    public async Task Build_prompt_adds_traits_domains_and_the_focus_mode()
    {
        var user = await db.NewUserAsync();
        var persona = await db.Personas.CreateAsync(user, Sage(), Ct);

        var plain = await db.Personas.BuildPromptAsync(user, persona.Id, null, Ct);
        var focused = await db.Personas.BuildPromptAsync(user, persona.Id, "code", Ct);

        Assert.Equal("You are wise.\n\nPersonality traits: calm, patient.\n\nAreas of expertise: philosophy.", plain);
        Assert.StartsWith(plain + "\n\nFocus mode: Code Expert.\nYou are an expert software developer.", focused);
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.Personas.BuildPromptAsync(user, persona.Id, "no-such-mode", Ct));
        Assert.Equal(["focusMode"], error.Errors.Keys);
    }

    [Fact]
    public async Task Build_prompt_without_traits_or_domains_is_the_bare_prompt()
    {
        var user = await db.NewUserAsync();
        var persona = await db.Personas.CreateAsync(user, new PersonaCreate("Bare", "Just this."), Ct);

        Assert.Equal("Just this.", await db.Personas.BuildPromptAsync(user, persona.Id, null, Ct));
    }

    [Fact]
    public async Task A_user_never_provisioned_gets_a_not_found_error()
    {
        var ghost = new Radiant.Tenancy.RadiantCaller(Guid.NewGuid(), Guid.NewGuid());

        var error = await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Personas.CreateAsync(ghost, Sage(), Ct));

        Assert.Equal("user", error.Resource);
    }
}
