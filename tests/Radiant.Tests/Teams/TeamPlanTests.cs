using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Plans: creation, validation, who sees them, partial updates.</summary>
public sealed class TeamPlanTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITeamService Teams => db.Services.GetRequiredService<ITeamService>();

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(Teams, db.NewUserAsync, create, members);

    [Fact]
    public async Task Create_makes_the_caller_the_owner_and_first_active_member()
    {
        var owner = await db.NewUserAsync();

        var plan = await Teams.CreateAsync(owner, new TeamCreate("Smiths", TeamPlanType.Family, 6, 50_000, SharedPool: false, BillingEmail: "pay@smith.test"), Ct);

        Assert.Equal(owner.TenantId, plan.TenantId);
        Assert.Equal(owner.UserId, plan.OwnerId);
        Assert.Equal("Smiths", plan.Name);
        Assert.Equal(TeamPlanType.Family, plan.Type);
        Assert.Equal(6, plan.MaxMembers);
        Assert.Equal(50_000, plan.TotalTokensMonthly);
        Assert.False(plan.SharedPool);
        Assert.Equal("pay@smith.test", plan.BillingEmail);
        Assert.True(plan.IsActive);
        Assert.Equal(0, plan.TokensUsedThisPeriod);
        // The creation instant anchors the periods: the first one runs a calendar month from it.
        Assert.Equal(plan.CreatedAt, plan.CurrentPeriodStart);
        Assert.Equal(TeamPeriods.Start(plan.CreatedAt, 1), plan.CurrentPeriodEnd);

        var member = Assert.Single((await Teams.ListMembersAsync(owner, plan.Id, cancellationToken: Ct)).Items);
        Assert.Equal(owner.UserId, member.UserId);
        Assert.Equal(TeamRole.Owner, member.Role);
        Assert.Equal(MemberStatus.Active, member.Status);
        Assert.NotNull(member.AcceptedAt);
        Assert.Equal($"{owner.UserId:N}@example.test", member.Email);
        Assert.Equal("Test User", member.DisplayName);
        Assert.Equal(plan, await Teams.GetAsync(owner, plan.Id, Ct));
        await AssertOneOwnerAsync(db.ConnectionString, new TestTeam(owner, plan, []));
    }

    [Theory]
    [InlineData(TeamPlanType.Team)]
    [InlineData(TeamPlanType.Enterprise)]
    public async Task Every_plan_type_can_be_created(TeamPlanType type)
    {
        var owner = await db.NewUserAsync();

        var plan = await Teams.CreateAsync(owner, new TeamCreate("Plan", type, 10, 1_000), Ct);

        Assert.Equal(type, (await Teams.GetAsync(owner, plan.Id, Ct)).Type);
        Assert.True(plan.SharedPool);
        Assert.Null(plan.BillingEmail);
    }

    [Theory]
    [InlineData("name", "", 0, 5, 1_000L, null)]
    [InlineData("name", "   ", 0, 5, 1_000L, null)]
    [InlineData("name", "101", 0, 5, 1_000L, null)]
    [InlineData("type", "Plan", 7, 5, 1_000L, null)]
    [InlineData("type", "Plan", -1, 5, 1_000L, null)]
    [InlineData("maxMembers", "Plan", 0, 0, 1_000L, null)]
    [InlineData("maxMembers", "Plan", 0, 10_001, 1_000L, null)]
    [InlineData("maxMembers", "Plan", 0, -3, 1_000L, null)]
    [InlineData("totalTokensMonthly", "Plan", 0, 5, 0L, null)]
    [InlineData("totalTokensMonthly", "Plan", 0, 5, -10L, null)]
    [InlineData("billingEmail", "Plan", 0, 5, 1_000L, "not-an-email")]
    [InlineData("billingEmail", "Plan", 0, 5, 1_000L, "@example.test")]
    [InlineData("billingEmail", "Plan", 0, 5, 1_000L, "pay@")]
    [InlineData("billingEmail", "Plan", 0, 5, 1_000L, " ")]
    public async Task Invalid_input_is_refused_naming_the_field_and_stores_nothing(string field, string name, int type, int maxMembers, long pool, string? email)
    {
        var owner = await db.NewUserAsync();
        var input = new TeamCreate(name == "101" ? new string('n', 101) : name, (TeamPlanType)type, maxMembers, pool, BillingEmail: email);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.CreateAsync(owner, input, Ct));

        Assert.Equal(new[] { field }, error.Errors.Keys);
        Assert.Empty((await Teams.ListAsync(owner, cancellationToken: Ct)).Items);
        Assert.Equal(0, await ScalarAsAppAsync(db.ConnectionString, owner.TenantId, "SELECT count(*) FROM radiant.team_plans"));
        Assert.Equal(0, await ScalarAsAppAsync(db.ConnectionString, owner.TenantId, "SELECT count(*) FROM radiant.team_members"));
    }

    [Fact]
    public async Task Every_bad_field_is_named_at_once()
    {
        var owner = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Teams.CreateAsync(owner, new TeamCreate("", (TeamPlanType)42, 10_001, 0, BillingEmail: "nope"), Ct));

        Assert.Equal(new[] { "billingEmail", "maxMembers", "name", "totalTokensMonthly", "type" }, error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Empty((await Teams.ListAsync(owner, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task The_bounds_themselves_are_accepted()
    {
        var owner = await db.NewUserAsync();

        var smallest = await Teams.CreateAsync(owner, new TeamCreate("x", TeamPlanType.Family, 1, 1), Ct);
        var largest = await Teams.CreateAsync(owner, new TeamCreate(new string('n', 100), TeamPlanType.Enterprise, 10_000, long.MaxValue), Ct);

        Assert.Equal(1, smallest.MaxMembers);
        Assert.Equal(1, smallest.TotalTokensMonthly);
        Assert.Equal(10_000, largest.MaxMembers);
        Assert.Equal(long.MaxValue, largest.TotalTokensMonthly);
        Assert.Equal(2, ((await Teams.ListAsync(owner, cancellationToken: Ct)).Items).Count);
    }

    [Fact]
    public async Task A_user_who_was_never_provisioned_cannot_create_a_plan()
    {
        var ghost = new Radiant.Tenancy.RadiantCaller((await db.NewUserAsync()).TenantId, Guid.NewGuid());

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.CreateAsync(ghost, Plan(), Ct));
    }

    [Fact]
    public async Task Only_members_and_invitees_see_a_plan()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var invitee = await db.NewUserAsync(team.TenantId);
        var outsider = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        // A colleague in the same tenant who is not a member: as if the plan did not exist.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetAsync(outsider, team.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListMembersAsync(outsider, team.Id, cancellationToken: Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetStatsAsync(outsider, team.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListPeriodsAsync(outsider, team.Id, cancellationToken: Ct));
        Assert.Empty((await Teams.ListAsync(outsider, cancellationToken: Ct)).Items);

        // A member and a pending invitee see it.
        Assert.Equal(team.Id, (await Teams.GetAsync(team.Members[0], team.Id, Ct)).Id);
        Assert.Equal(team.Id, Assert.Single((await Teams.ListAsync(team.Members[0], cancellationToken: Ct)).Items).Id);
        Assert.Equal(team.Id, (await Teams.GetAsync(invitee, team.Id, Ct)).Id);
        Assert.Equal(team.Id, Assert.Single((await Teams.ListAsync(invitee, cancellationToken: Ct)).Items).Id);
    }

    [Fact]
    public async Task Declined_and_removed_users_no_longer_see_the_plan()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var decliner = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(decliner.UserId), Ct);
        await Teams.DeclineInvitationAsync(decliner, team.Id, Ct);
        await Teams.RemoveMemberAsync(team.Owner, team.Id, team.Members[0].UserId, Ct);

        foreach (var user in new[] { decliner, team.Members[0] })
        {
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetAsync(user, team.Id, Ct));
            Assert.Empty((await Teams.ListAsync(user, cancellationToken: Ct)).Items);
        }
    }

    [Fact]
    public async Task List_shows_every_plan_of_the_caller_by_name()
    {
        var owner = await db.NewUserAsync();
        var b = await Teams.CreateAsync(owner, Plan(name: "Beta"), Ct);
        var a = await Teams.CreateAsync(owner, Plan(name: "Alpha"), Ct);
        var other = await CreateTeamAsync(Plan(name: "Gamma"), members: 0);
        await AddMemberAsync(Teams, other.Owner, other.Id, await db.NewUserAsync(other.TenantId));

        Assert.Equal(new[] { a.Id, b.Id }, ((await Teams.ListAsync(owner, cancellationToken: Ct)).Items).Select(p => p.Id));
    }

    [Fact]
    public async Task Update_changes_only_the_given_fields()
    {
        var team = await CreateTeamAsync(Plan());

        var updated = await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { Name = "Renamed" }, Ct);

        Assert.Equal("Renamed", updated.Name);
        Assert.Equal(team.Plan with { Name = "Renamed" }, updated);

        updated = await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { MaxMembers = 3, TotalTokensMonthly = 777, SharedPool = false, IsActive = false }, Ct);
        Assert.Equal(team.Plan with { Name = "Renamed", MaxMembers = 3, TotalTokensMonthly = 777, SharedPool = false, IsActive = false }, updated);
    }

    [Fact]
    public async Task Billing_email_is_kept_when_absent_and_cleared_by_null()
    {
        var team = await CreateTeamAsync(Plan());

        Assert.Equal("billing@example.test", (await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { Name = "x" }, Ct)).BillingEmail);
        Assert.Equal("new@example.test", (await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { BillingEmail = "new@example.test" }, Ct)).BillingEmail);
        Assert.Null((await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { BillingEmail = (string?)null }, Ct)).BillingEmail);
        Assert.Null((await Teams.GetAsync(team.Owner, team.Id, Ct)).BillingEmail);
    }

    [Fact]
    public async Task Admins_update_the_plan_and_members_are_forbidden()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        await Teams.UpdateMemberAsync(team.Owner, team.Id, team.Members[0].UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId, TeamRole.Admin), Ct);

        Assert.Equal("By admin", (await Teams.UpdateAsync(team.Members[0], team.Id, new TeamUpdate { Name = "By admin" }, Ct)).Name);
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => Teams.UpdateAsync(team.Members[1], team.Id, new TeamUpdate { Name = "By member" }, Ct));
        // An invited admin who has not accepted manages nothing yet.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.UpdateAsync(invitee, team.Id, new TeamUpdate { Name = "By invitee" }, Ct));
        var outsider = await db.NewUserAsync(team.TenantId);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.UpdateAsync(outsider, team.Id, new TeamUpdate { Name = "By outsider" }, Ct));
        Assert.Equal("By admin", (await Teams.GetAsync(team.Owner, team.Id, Ct)).Name);
    }

    [Fact]
    public async Task Invalid_updates_are_refused_and_change_nothing()
    {
        var team = await CreateTeamAsync(Plan());

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.UpdateAsync(
            team.Owner, team.Id, new TeamUpdate { Name = "", MaxMembers = 10_001, TotalTokensMonthly = 0, BillingEmail = "x" }, Ct));

        Assert.Equal(new[] { "billingEmail", "maxMembers", "name", "totalTokensMonthly" }, error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(team.Plan, await Teams.GetAsync(team.Owner, team.Id, Ct));
    }

    [Fact]
    public async Task Max_members_cannot_go_below_the_members_and_pending_invitations()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 5), members: 1);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { MaxMembers = 2 }, Ct));

        Assert.Contains("maxMembers", error.Errors.Keys);
        Assert.Equal(5, (await Teams.GetAsync(team.Owner, team.Id, Ct)).MaxMembers);
        Assert.Equal(3, (await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { MaxMembers = 3 }, Ct)).MaxMembers);
    }

    [Fact]
    public async Task Switching_to_allocations_is_refused_when_they_exceed_the_pool()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true), members: 2);
        // In a shared pool allocations are not bounded by the pool.
        await AllocateAsync(Teams, team, team.Members[0], 600);
        await AllocateAsync(Teams, team, team.Members[1], 600);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { SharedPool = false }, Ct));

        Assert.Contains("totalTokensMonthly", error.Errors.Keys);
        Assert.True((await Teams.GetAsync(team.Owner, team.Id, Ct)).SharedPool);
        // Raising the pool in the same update makes room.
        var switched = await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { SharedPool = false, TotalTokensMonthly = 1_200 }, Ct);
        Assert.False(switched.SharedPool);
        Assert.Equal(1_200, switched.TotalTokensMonthly);
    }

    [Fact]
    public async Task The_pool_of_a_per_member_plan_cannot_shrink_below_its_allocations()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 1);
        await AllocateAsync(Teams, team, team.Members[0], 800);

        await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { TotalTokensMonthly = 799 }, Ct));

        Assert.Equal(1_000, (await Teams.GetAsync(team.Owner, team.Id, Ct)).TotalTokensMonthly);
        Assert.Equal(800, (await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { TotalTokensMonthly = 800 }, Ct)).TotalTokensMonthly);
    }
}
