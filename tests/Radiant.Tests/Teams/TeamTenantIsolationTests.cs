using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Another tenant's team is invisible to every service call, whatever the caller knows about it.</summary>
public sealed class TeamTenantIsolationTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITeamService Teams => db.Services.GetRequiredService<ITeamService>();

    [Fact]
    public async Task Every_call_with_another_tenants_team_id_is_not_found()
    {
        var team = await CreateTeamAsync(Teams, db.NewUserAsync, Plan(pool: 1_000), members: 1);
        await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(100), Ct);
        var reservation = await Teams.ReserveAsync(team.Owner, team.Id, new TeamReservationRequest(50), Ct);
        // The stranger even uses the same user id as the owner, in another tenant.
        var stranger = await db.NewUserAsync();
        var twin = new RadiantCaller(stranger.TenantId, team.Owner.UserId);
        await db.Directory.EnsureUserAsync(new UserProfile(twin, "twin@example.test"), Ct);
        var before = await SnapshotAsync(team);

        foreach (var caller in new[] { stranger, twin })
        {
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetAsync(caller, team.Id, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.UpdateAsync(caller, team.Id, new TeamUpdate { Name = "stolen" }, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListMembersAsync(caller, team.Id, cancellationToken: Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.InviteAsync(caller, team.Id, new TeamInvitation(caller.UserId), Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.AcceptInvitationAsync(caller, team.Id, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.DeclineInvitationAsync(caller, team.Id, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() =>
                Teams.UpdateMemberAsync(caller, team.Id, team.Members[0].UserId, new TeamMemberUpdate { Role = TeamRole.Owner, TokenAllocation = 1 }, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.RemoveMemberAsync(caller, team.Id, team.Members[0].UserId, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.RemoveMemberAsync(caller, team.Id, caller.UserId, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.RecordUsageAsync(caller, team.Id, new TeamUsage(1), Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ReserveAsync(caller, team.Id, new TeamReservationRequest(1), Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.SettleAsync(caller, team.Id, reservation.Id, new TeamUsage(1), Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ReleaseAsync(caller, team.Id, reservation.Id, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetStatsAsync(caller, team.Id, Ct));
            await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListPeriodsAsync(caller, team.Id, cancellationToken: Ct));
            Assert.Empty((await Teams.ListAsync(caller, cancellationToken: Ct)).Items);
        }

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ResetPeriodAsync(Admin(stranger.TenantId), team.Id, Ct));

        Assert.Equal(before, await SnapshotAsync(team));
        Assert.Equal(team.Plan with { TokensUsedThisPeriod = 100 }, await Teams.GetAsync(team.Owner, team.Id, Ct));
        Assert.Empty((await Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items);

        // The owner's hold was untouched by the strangers: it still holds, and settles once.
        Assert.Equal(1, await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_reservations WHERE id = '{reservation.Id}' AND state = 'held'"));
        Assert.Equal(50, (await Teams.SettleAsync(team.Owner, team.Id, reservation.Id, new TeamUsage(50), Ct)).TokensCharged);
    }

    [Fact]
    public async Task A_team_cannot_invite_a_user_of_another_tenant()
    {
        var team = await CreateTeamAsync(Teams, db.NewUserAsync, Plan());
        var elsewhere = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(elsewhere.UserId), Ct));

        Assert.Empty((await Teams.ListAsync(elsewhere, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Teams_with_the_same_name_in_two_tenants_stay_apart()
    {
        var a = await CreateTeamAsync(Teams, db.NewUserAsync, Plan(name: "Same"), members: 1);
        var b = await CreateTeamAsync(Teams, db.NewUserAsync, Plan(name: "Same"), members: 1);

        await Teams.RecordUsageAsync(a.Members[0], a.Id, new TeamUsage(10), Ct);

        Assert.Equal(a.Id, Assert.Single((await Teams.ListAsync(a.Owner, cancellationToken: Ct)).Items).Id);
        Assert.Equal(b.Id, Assert.Single((await Teams.ListAsync(b.Owner, cancellationToken: Ct)).Items).Id);
        Assert.Equal(0, (await Teams.GetStatsAsync(b.Owner, b.Id, Ct)).TokensUsed);
        Assert.Equal(0, await ScalarAsAppAsync(db.ConnectionString, b.TenantId, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{a.Id}'"));
        Assert.Equal(0, await ScalarAsAppAsync(db.ConnectionString, b.TenantId, $"SELECT count(*) FROM radiant.team_members WHERE team_id = '{a.Id}'"));
    }

    private async Task<(long Plans, long Members, long Log, long Used)> SnapshotAsync(TestTeam team) => (
        await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_plans WHERE id = '{team.Id}'"),
        await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_members WHERE team_id = '{team.Id}' AND status = 'active'"),
        await LogRowsAsync(db.ConnectionString, team),
        await TeamUsedAsync(db.ConnectionString, team));
}
