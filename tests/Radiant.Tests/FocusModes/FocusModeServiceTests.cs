using System.Text.Json;
using Radiant.Errors;
using Radiant.FocusModes;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.FocusModes;

public sealed class FocusModeServiceTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FocusModeCreate Legal(string name = "legal") =>
        new(name, "Legal Counsel", "You are a careful legal assistant.", "Contracts and compliance", "Scale", "gpt-4o",
            JsonDocument.Parse("""{"temperature":0.2}""").RootElement);

    [Fact]
    public async Task The_five_system_modes_are_seeded_in_the_seeds_order()
    {
        var user = await db.NewUserAsync();

        var modes = await db.FocusModes.ListAsync(user.AsTenantAdmin(), cancellationToken: Ct);

        Assert.Equal(["analyst", "code", "general", "researcher", "writer"], modes.Select(m => m.Name));
        Assert.All(modes, m => Assert.True(m.IsSystem && m.IsActive && m.TenantId is null));
        Assert.Equal("Code Expert", modes.Single(m => m.Name == "code").DisplayName);
    }

    [Fact]
    public async Task Users_who_are_not_tenant_admins_cannot_manage_modes_or_see_inactive_ones()
    {
        var admin = (await db.NewUserAsync()).AsTenantAdmin();
        var user = await db.NewUserAsync(admin.TenantId);
        var legal = await db.FocusModes.CreateAsync(admin, Legal(), Ct);
        var retired = await db.FocusModes.CreateAsync(admin, Legal("retired"), Ct);
        await db.FocusModes.DeactivateAsync(admin, retired.Id, Ct);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.CreateAsync(user, Legal("mine"), Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.UpdateAsync(user, legal.Id, new FocusModeUpdate { DisplayName = "Mine" }, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.DeactivateAsync(user, legal.Id, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.ListAsync(user, includeInactive: true, Ct));
        // An inactive mode does not exist for users; the active one they may read.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.FocusModes.GetAsync(user, retired.Id, Ct));
        Assert.Equal("Legal Counsel", (await db.FocusModes.GetAsync(user, legal.Id, Ct)).DisplayName);
        Assert.DoesNotContain("retired", (await db.FocusModes.ListAsync(user, cancellationToken: Ct)).Select(m => m.Name));
        Assert.Equal(["legal", "retired"], (await db.FocusModes.ListAsync(admin, includeInactive: true, Ct)).Where(m => !m.IsSystem).Select(m => m.Name));
        Assert.True((await db.FocusModes.GetAsync(admin, legal.Id, Ct)).IsActive);
    }

    [Fact]
    public async Task Tenant_modes_follow_the_system_modes_and_stay_in_their_tenant()
    {
        var admin = await db.NewUserAsync();
        var other = await db.NewUserAsync();
        var legal = await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal(), Ct);
        await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal("audit"), Ct);

        var mine = await db.FocusModes.ListAsync(admin.AsTenantAdmin(), cancellationToken: Ct);
        var theirs = await db.FocusModes.ListAsync(other.AsTenantAdmin(), cancellationToken: Ct);

        Assert.Equal(["analyst", "code", "general", "researcher", "writer", "audit", "legal"], mine.Select(m => m.Name));
        Assert.Equal(5, theirs.Count);
        Assert.Equal(admin.TenantId, legal.TenantId);
        Assert.Equal(0.2, legal.Settings.GetProperty("temperature").GetDouble());
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.FocusModes.GetAsync(other.AsTenantAdmin(), legal.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.FocusModes.UpdateAsync(other.AsTenantAdmin(), legal.Id, new FocusModeUpdate { DisplayName = "x" }, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.FocusModes.DeactivateAsync(other.AsTenantAdmin(), legal.Id, Ct));
    }

    [Fact]
    public async Task Deactivated_modes_are_hidden_from_users_but_listed_for_admins()
    {
        var admin = await db.NewUserAsync();
        var mode = await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal(), Ct);

        var deactivated = await db.FocusModes.DeactivateAsync(admin.AsTenantAdmin(), mode.Id, Ct);

        Assert.False(deactivated.IsActive);
        Assert.DoesNotContain(await db.FocusModes.ListAsync(admin.AsTenantAdmin(), cancellationToken: Ct), m => m.Id == mode.Id);
        Assert.Contains(await db.FocusModes.ListAsync(admin.AsTenantAdmin(), includeInactive: true, Ct), m => m.Id == mode.Id);
        Assert.Null(await db.FocusModes.FindByNameAsync(admin.AsTenantAdmin(), "legal", Ct));

        var reactivated = await db.FocusModes.UpdateAsync(admin.AsTenantAdmin(), mode.Id, new FocusModeUpdate { IsActive = true }, Ct);
        Assert.True(reactivated.IsActive);
    }

    [Fact]
    public async Task Partial_update_keeps_absent_fields_and_clears_explicit_nulls()
    {
        var admin = await db.NewUserAsync();
        var mode = await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal(), Ct);

        var updated = await db.FocusModes.UpdateAsync(admin.AsTenantAdmin(), mode.Id, new FocusModeUpdate
        {
            DisplayName = "Legal",
            Description = null,
            DefaultModel = null,
        }, Ct);

        Assert.Equal("Legal", updated.DisplayName);
        Assert.Null(updated.Description);
        Assert.Null(updated.DefaultModel);
        Assert.Equal("Scale", updated.Icon);
        Assert.Equal(mode.SystemPrompt, updated.SystemPrompt);
        Assert.Equal(0.2, updated.Settings.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public async Task System_modes_are_read_only()
    {
        var admin = await db.NewUserAsync();
        var code = (await db.FocusModes.ListAsync(admin.AsTenantAdmin(), cancellationToken: Ct)).Single(m => m.Name == "code");

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.UpdateAsync(admin.AsTenantAdmin(), code.Id, new FocusModeUpdate { DisplayName = "Mine" }, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.FocusModes.DeactivateAsync(admin.AsTenantAdmin(), code.Id, Ct));
        Assert.Equal(code, await db.FocusModes.GetAsync(admin.AsTenantAdmin(), code.Id, Ct), FocusModeComparer.Instance);
    }

    [Fact]
    public async Task Duplicate_and_system_names_are_conflicts()
    {
        var admin = await db.NewUserAsync();
        var legal = await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal(), Ct);
        var audit = await db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal("audit"), Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() => db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal(), Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => db.FocusModes.CreateAsync(admin.AsTenantAdmin(), Legal("code"), Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => db.FocusModes.UpdateAsync(admin.AsTenantAdmin(), audit.Id, new FocusModeUpdate { Name = "legal" }, Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => db.FocusModes.UpdateAsync(admin.AsTenantAdmin(), audit.Id, new FocusModeUpdate { Name = "general" }, Ct));
        Assert.Equal("audit", (await db.FocusModes.GetAsync(admin.AsTenantAdmin(), audit.Id, Ct)).Name);
        Assert.Equal("legal", (await db.FocusModes.GetAsync(admin.AsTenantAdmin(), legal.Id, Ct)).Name);
    }

    [Fact]
    public async Task The_same_name_may_exist_in_two_tenants()
    {
        var a = await db.NewUserAsync();
        var b = await db.NewUserAsync();

        await db.FocusModes.CreateAsync(a.AsTenantAdmin(), Legal(), Ct);
        await db.FocusModes.CreateAsync(b.AsTenantAdmin(), Legal(), Ct);

        Assert.NotNull(await db.FocusModes.FindByNameAsync(b.AsTenantAdmin(), "legal", Ct));
    }

    [Fact]
    public async Task Invalid_input_names_every_bad_field_and_stores_nothing()
    {
        var admin = await db.NewUserAsync();
        var bad = new FocusModeCreate("Not A Slug", "", new string('p', 20_001), Icon: new string('i', 51),
            Settings: JsonDocument.Parse("\"text\"").RootElement);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => db.FocusModes.CreateAsync(admin.AsTenantAdmin(), bad, Ct));

        Assert.Equal(["displayName", "icon", "name", "settings", "systemPrompt"], error.Errors.Keys.Order());
        Assert.Equal(5, (await db.FocusModes.ListAsync(admin.AsTenantAdmin(), includeInactive: true, Ct)).Count);
    }

    private sealed class FocusModeComparer : IEqualityComparer<FocusMode>
    {
        public static readonly FocusModeComparer Instance = new();

        public bool Equals(FocusMode? x, FocusMode? y) =>
            x is not null && y is not null && x.Id == y.Id && x.DisplayName == y.DisplayName && x.IsActive == y.IsActive && x.UpdatedAt == y.UpdatedAt;

        public int GetHashCode(FocusMode obj) => obj.Id.GetHashCode();
    }
}
