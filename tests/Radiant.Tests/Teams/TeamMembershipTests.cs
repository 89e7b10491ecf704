using Radiant.Common;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Invitations, the member limit, roles and ownership, removal, allocations.</summary>
public sealed class TeamMembershipTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITeamService Teams => db.Services.GetRequiredService<ITeamService>();

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(Teams, db.NewUserAsync, create, members);

    private async Task<TeamMember> MemberAsync(TestTeam team, RadiantCaller user) =>
        ((await Teams.ListMembersAsync(team.Owner, team.Id, cancellationToken: Ct)).Items).Single(m => m.UserId == user.UserId);

    private Task<long> RowsOfAsync(TestTeam team, RadiantCaller user) =>
        ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_members WHERE team_id = '{team.Id}' AND user_id = '{user.UserId}'");

    [Fact]
    public async Task Members_page_by_cursor_owner_then_admins_then_members_each_once()
    {
        var team = await CreateTeamAsync(Plan(), members: 4);
        var admin = await TeamTestSupport.AddMemberAsync(Teams, team.Owner, team.Id, await db.NewUserAsync(team.TenantId), TeamRole.Admin);

        var seen = new List<TeamMember>();
        var request = new PageRequest(Limit: 2);
        while (true)
        {
            var page = await Teams.ListMembersAsync(team.Owner, team.Id, request, Ct);
            Assert.InRange(page.Items.Count, 1, 2);
            seen.AddRange(page.Items);
            if (page.NextCursor is not { } next)
            {
                break;
            }

            request = request with { Cursor = next };
        }

        Assert.Equal([team.Owner.UserId, admin.UserId, .. team.Members.Select(m => m.UserId)], seen.Select(m => m.UserId));
    }

    [Fact]
    public async Task An_invitation_stays_pending_until_the_invitee_accepts()
    {
        var team = await CreateTeamAsync(Plan());
        var invitee = await db.NewUserAsync(team.TenantId);

        var invited = await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        Assert.Equal(MemberStatus.Pending, invited.Status);
        Assert.Equal(TeamRole.Member, invited.Role);
        Assert.Equal(team.Owner.UserId, invited.InvitedBy);
        Assert.Null(invited.AcceptedAt);
        Assert.Equal($"{invitee.UserId:N}@example.test", invited.Email);
        Assert.Equal(MemberStatus.Pending, (await MemberAsync(team, invitee)).Status);
        // Pending: the invitee sees the plan but not its members, and cannot use it.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListMembersAsync(invitee, team.Id, cancellationToken: Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => Teams.RecordUsageAsync(invitee, team.Id, new TeamUsage(1), Ct));

        var accepted = await Teams.AcceptInvitationAsync(invitee, team.Id, Ct);

        Assert.Equal(MemberStatus.Active, accepted.Status);
        Assert.NotNull(accepted.AcceptedAt);
        Assert.Equal(2, ((await Teams.ListMembersAsync(invitee, team.Id, cancellationToken: Ct)).Items).Count);
        // Nothing left to accept or decline.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.AcceptInvitationAsync(invitee, team.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.DeclineInvitationAsync(invitee, team.Id, Ct));
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task A_declined_invitation_frees_its_seat()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 2));
        var decliner = await db.NewUserAsync(team.TenantId);
        var next = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(decliner.UserId), Ct);
        await Assert.ThrowsAsync<RadiantLimitExceededException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(next.UserId), Ct));

        var declined = await Teams.DeclineInvitationAsync(decliner, team.Id, Ct);

        Assert.Equal(MemberStatus.Declined, declined.Status);
        Assert.Null(declined.AcceptedAt);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.AcceptInvitationAsync(decliner, team.Id, Ct));
        Assert.Equal(MemberStatus.Pending, (await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(next.UserId), Ct)).Status);
    }

    [Fact]
    public async Task Nobody_can_answer_an_invitation_they_did_not_get()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var stranger = await db.NewUserAsync(team.TenantId);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.AcceptInvitationAsync(stranger, team.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.DeclineInvitationAsync(stranger, team.Id, Ct));
        // An active member has no invitation to decline either (and stays active).
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.DeclineInvitationAsync(team.Members[0], team.Id, Ct));
        Assert.Equal(MemberStatus.Active, (await MemberAsync(team, team.Members[0])).Status);
    }

    [Fact]
    public async Task Pending_invitations_count_against_the_member_limit()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 3));
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);
        var late = await db.NewUserAsync(team.TenantId);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(late.UserId), Ct));

        Assert.Equal("max_members", error.Limit);
        Assert.Equal(0, error.Remaining);
        Assert.Equal(0, await RowsOfAsync(team, late));
    }

    [Fact]
    public async Task Twenty_concurrent_invitations_to_a_team_with_three_free_seats_leave_exactly_three_more_pending_members()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 5), members: 1);
        var invitees = new List<RadiantCaller>();
        for (var i = 0; i < 20; i++)
        {
            invitees.Add(await db.NewUserAsync(team.TenantId));
        }

        var outcomes = await InParallelAsync(20, i => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitees[i].UserId), Ct));

        Assert.Equal(3, outcomes.Count(o => o.Succeeded));
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.Equal("max_members", Assert.IsType<RadiantLimitExceededException>(o.Error).Limit));
        var members = (await Teams.ListMembersAsync(team.Owner, team.Id, cancellationToken: Ct)).Items;
        Assert.Equal(3, members.Count(m => m.Status == MemberStatus.Pending));
        Assert.Equal(5, members.Count(m => m.Status is MemberStatus.Pending or MemberStatus.Active));
        Assert.Equal(
            outcomes.Where(o => o.Succeeded).Select(o => o.Value!.UserId).Order(),
            members.Where(m => m.Status == MemberStatus.Pending).Select(m => m.UserId).Order());
    }

    [Fact]
    public async Task A_removed_member_is_invited_again_by_reactivating_their_row()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 2), members: 1);
        var member = team.Members[0];
        await Teams.RemoveMemberAsync(team.Owner, team.Id, member.UserId, Ct);
        Assert.Equal(MemberStatus.Removed, (await MemberAsync(team, member)).Status);

        var again = await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(member.UserId, TeamRole.Admin), Ct);

        Assert.Equal(MemberStatus.Pending, again.Status);
        Assert.Equal(TeamRole.Admin, again.Role);
        Assert.Null(again.AcceptedAt);
        Assert.Equal(1, await RowsOfAsync(team, member));
        Assert.Equal(MemberStatus.Active, (await Teams.AcceptInvitationAsync(member, team.Id, Ct)).Status);
        Assert.Equal(TeamRole.Admin, (await MemberAsync(team, member)).Role);
    }

    [Fact]
    public async Task A_user_who_declined_can_be_invited_again()
    {
        var team = await CreateTeamAsync(Plan());
        var user = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(user.UserId), Ct);
        await Teams.DeclineInvitationAsync(user, team.Id, Ct);

        Assert.Equal(MemberStatus.Pending, (await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(user.UserId), Ct)).Status);
        Assert.Equal(1, await RowsOfAsync(team, user));
    }

    [Fact]
    public async Task Inviting_a_member_or_an_invitee_again_is_a_conflict()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(team.Members[0].UserId), Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(team.Owner.UserId), Ct));
        Assert.Equal(MemberStatus.Active, (await MemberAsync(team, team.Members[0])).Status);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Inviting_an_unknown_user_or_a_user_of_another_tenant_is_not_found()
    {
        var team = await CreateTeamAsync(Plan());
        var elsewhere = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(Guid.NewGuid()), Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(elsewhere.UserId), Ct));
        Assert.Single((await Teams.ListMembersAsync(team.Owner, team.Id, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Inviting_someone_as_owner_is_a_validation_error()
    {
        var team = await CreateTeamAsync(Plan());
        var user = await db.NewUserAsync(team.TenantId);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(user.UserId, TeamRole.Owner), Ct));

        Assert.Contains("role", error.Errors.Keys);
        await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(user.UserId, (TeamRole)9), Ct));
        Assert.Equal(0, await RowsOfAsync(team, user));
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Owner_and_admins_invite_and_members_cannot()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        await Teams.UpdateMemberAsync(team.Owner, team.Id, team.Members[0].UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);
        var byAdmin = await db.NewUserAsync(team.TenantId);
        var byMember = await db.NewUserAsync(team.TenantId);

        Assert.Equal(team.Members[0].UserId, (await Teams.InviteAsync(team.Members[0], team.Id, new TeamInvitation(byAdmin.UserId), Ct)).InvitedBy);
        await Assert.ThrowsAsync<RadiantForbiddenException>(() => Teams.InviteAsync(team.Members[1], team.Id, new TeamInvitation(byMember.UserId), Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.InviteAsync(byAdmin, team.Id, new TeamInvitation(byMember.UserId), Ct));
        Assert.Equal(0, await RowsOfAsync(team, byMember));
    }

    [Fact]
    public async Task The_owner_hands_over_ownership_and_becomes_an_admin()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        var heir = team.Members[1];

        var promoted = await Teams.UpdateMemberAsync(team.Owner, team.Id, heir.UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct);

        Assert.Equal(TeamRole.Owner, promoted.Role);
        Assert.Equal(TeamRole.Admin, (await MemberAsync(team, team.Owner)).Role);
        Assert.Equal(heir.UserId, (await Teams.GetAsync(team.Owner, team.Id, Ct)).OwnerId);
        Assert.Equal(1, await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_plans WHERE id = '{team.Id}' AND owner_id = '{heir.UserId}'"));
        Assert.Equal(heir.UserId, ((await Teams.ListMembersAsync(heir, team.Id, cancellationToken: Ct)).Items)[0].UserId);
        await AssertOneOwnerAsync(db.ConnectionString, team);

        // The former owner, now an admin, can no longer hand it over; the new owner can.
        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, team.Members[0].UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));
        await Teams.UpdateMemberAsync(heir, team.Id, team.Owner.UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct);
        Assert.Equal(team.Owner.UserId, (await Teams.GetAsync(team.Owner, team.Id, Ct)).OwnerId);
        Assert.Equal(TeamRole.Admin, (await MemberAsync(team, heir)).Role);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task An_admin_cannot_hand_over_ownership()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        var admin = team.Members[0];
        await Teams.UpdateMemberAsync(team.Owner, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Teams.UpdateMemberAsync(admin, team.Id, team.Members[1].UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Teams.UpdateMemberAsync(admin, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));

        Assert.Equal(team.Owner.UserId, (await Teams.GetAsync(admin, team.Id, Ct)).OwnerId);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Ownership_goes_only_to_an_active_member()
    {
        var team = await CreateTeamAsync(Plan());
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, invitee.UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));
        var outsider = await db.NewUserAsync(team.TenantId);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, outsider.UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));

        Assert.Equal(team.Owner.UserId, (await Teams.GetAsync(team.Owner, team.Id, Ct)).OwnerId);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task The_owner_cannot_be_demoted_directly()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var admin = team.Members[0];
        await Teams.UpdateMemberAsync(team.Owner, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, team.Owner.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() =>
            Teams.UpdateMemberAsync(admin, team.Id, team.Owner.UserId, new TeamMemberUpdate { Role = TeamRole.Member }, Ct));

        Assert.Equal(TeamRole.Owner, (await MemberAsync(team, team.Owner)).Role);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Owner_and_admins_change_roles_and_members_cannot()
    {
        var team = await CreateTeamAsync(Plan(), members: 3);
        var (admin, member, other) = (team.Members[0], team.Members[1], team.Members[2]);

        Assert.Equal(TeamRole.Admin, (await Teams.UpdateMemberAsync(team.Owner, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct)).Role);
        Assert.Equal(TeamRole.Admin, (await Teams.UpdateMemberAsync(admin, team.Id, other.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct)).Role);
        Assert.Equal(TeamRole.Member, (await Teams.UpdateMemberAsync(admin, team.Id, other.UserId, new TeamMemberUpdate { Role = TeamRole.Member }, Ct)).Role);
        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Teams.UpdateMemberAsync(member, team.Id, member.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct));
        await Assert.ThrowsAsync<RadiantForbiddenException>(() =>
            Teams.UpdateMemberAsync(member, team.Id, other.UserId, new TeamMemberUpdate { TokenAllocation = 5 }, Ct));
        await Assert.ThrowsAsync<RadiantValidationException>(() =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, other.UserId, new TeamMemberUpdate { Role = (TeamRole)9 }, Ct));

        Assert.Equal(TeamRole.Member, (await MemberAsync(team, member)).Role);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Concurrent_hand_overs_to_different_members_leave_exactly_one_owner()
    {
        var team = await CreateTeamAsync(Plan(), members: 6);

        var outcomes = await InParallelAsync(team.Members.Count, i =>
            Teams.UpdateMemberAsync(team.Owner, team.Id, team.Members[i].UserId, new TeamMemberUpdate { Role = TeamRole.Owner }, Ct));

        var winner = Assert.Single(outcomes, o => o.Succeeded);
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.IsType<RadiantForbiddenException>(o.Error));
        await AssertOneOwnerAsync(db.ConnectionString, team);
        Assert.Equal(winner.Value!.UserId, (await Teams.GetAsync(team.Owner, team.Id, Ct)).OwnerId);
        Assert.Equal(TeamRole.Admin, (await MemberAsync(team, team.Owner)).Role);
    }

    [Fact]
    public async Task The_owner_cannot_be_removed()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var admin = team.Members[0];
        await Teams.UpdateMemberAsync(team.Owner, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.RemoveMemberAsync(team.Owner, team.Id, team.Owner.UserId, Ct));
        await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.RemoveMemberAsync(admin, team.Id, team.Owner.UserId, Ct));

        Assert.Equal(MemberStatus.Active, (await MemberAsync(team, team.Owner)).Status);
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task A_member_can_remove_themselves_but_not_others()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        var (leaver, other) = (team.Members[0], team.Members[1]);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => Teams.RemoveMemberAsync(leaver, team.Id, other.UserId, Ct));
        await Teams.RemoveMemberAsync(leaver, team.Id, leaver.UserId, Ct);

        var row = await MemberAsync(team, leaver);
        Assert.Equal(MemberStatus.Removed, row.Status);
        Assert.Equal(MemberStatus.Active, (await MemberAsync(team, other)).Status);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetAsync(leaver, team.Id, Ct));
        // Removing again finds no membership.
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.RemoveMemberAsync(leaver, team.Id, leaver.UserId, Ct));
        await AssertOneOwnerAsync(db.ConnectionString, team);
    }

    [Fact]
    public async Task Admins_remove_members_and_invitations_and_free_their_seats()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 3), members: 1);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        await Teams.RemoveMemberAsync(team.Owner, team.Id, team.Members[0].UserId, Ct);
        await Teams.RemoveMemberAsync(team.Owner, team.Id, invitee.UserId, Ct);

        Assert.All(((await Teams.ListMembersAsync(team.Owner, team.Id, cancellationToken: Ct)).Items).Where(m => m.Role != TeamRole.Owner), m => Assert.Equal(MemberStatus.Removed, m.Status));
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.RemoveMemberAsync(team.Owner, team.Id, Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task Members_are_listed_owner_first_with_every_status()
    {
        var team = await CreateTeamAsync(Plan(), members: 2);
        await Teams.UpdateMemberAsync(team.Owner, team.Id, team.Members[1].UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);
        await Teams.RemoveMemberAsync(team.Owner, team.Id, team.Members[0].UserId, Ct);

        var members = (await Teams.ListMembersAsync(team.Owner, team.Id, cancellationToken: Ct)).Items;

        Assert.Equal(team.Owner.UserId, members[0].UserId);
        Assert.Equal(TeamRole.Admin, members[1].Role);
        Assert.Equal(
            new[] { MemberStatus.Active, MemberStatus.Active, MemberStatus.Removed, MemberStatus.Pending }.Order(),
            members.Select(m => m.Status).Order());
    }

    [Fact]
    public async Task Allocations_of_a_per_member_plan_may_not_exceed_the_pool()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 3);
        var (a, b, c) = (team.Members[0], team.Members[1], team.Members[2]);

        Assert.Equal(600, (await AllocateAsync(Teams, team, a, 600)).TokenAllocation);
        Assert.Equal(400, (await AllocateAsync(Teams, team, b, 400)).TokenAllocation);

        var full = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => AllocateAsync(Teams, team, c, 1));
        Assert.Equal("team_pool", full.Limit);
        Assert.Equal(0, full.Remaining);
        // A member's own current allocation does not count against their new one.
        var raise = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => AllocateAsync(Teams, team, a, 601));
        Assert.Equal("team_pool", raise.Limit);
        Assert.Equal(600, raise.Remaining);
        Assert.Equal(600, (await MemberAsync(team, a)).TokenAllocation);
        Assert.Null((await MemberAsync(team, c)).TokenAllocation);

        // Null clears an allocation and frees its share.
        Assert.Null((await AllocateAsync(Teams, team, a, null)).TokenAllocation);
        Assert.Equal(600, (await AllocateAsync(Teams, team, c, 600)).TokenAllocation);
        Assert.Equal(0, (await AllocateAsync(Teams, team, a, 0)).TokenAllocation);
    }

    [Fact]
    public async Task Pending_invitees_allocations_count_against_the_pool()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 1);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);
        await Teams.UpdateMemberAsync(team.Owner, team.Id, invitee.UserId, new TeamMemberUpdate { TokenAllocation = 700 }, Ct);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => AllocateAsync(Teams, team, team.Members[0], 301));

        Assert.Equal(300, error.Remaining);
    }

    [Fact]
    public async Task A_shared_pool_does_not_bound_allocations_and_negative_ones_are_invalid()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true), members: 2);

        await AllocateAsync(Teams, team, team.Members[0], 900);
        await AllocateAsync(Teams, team, team.Members[1], 900);
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => AllocateAsync(Teams, team, team.Members[0], -1));

        Assert.Contains("tokenAllocation", error.Errors.Keys);
        Assert.Equal(900, (await MemberAsync(team, team.Members[0])).TokenAllocation);
    }
}
