using Radiant.Teams;
using Radiant.Tenancy;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Soft warnings at 80 % and 100 % of the pool and of allocations, once per threshold per period, through the host's notifier.</summary>
public sealed class TeamWarningTests(TeamDatabase db) : IClassFixture<TeamDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(db.Teams, db.NewUserAsync, create, members);

    private Task<UsageRecorded> UseAsync(TestTeam team, RadiantCaller user, long tokens) => db.Teams.RecordUsageAsync(user, team.Id, new TeamUsage(tokens), Ct);

    private async Task<(Guid? User, int Threshold)[]> RaisedAsync(TestTeam team) =>
        (await db.WarningsAsync(team.Id)).Select(w => (w.UserId, w.ThresholdPercent)).Order().ToArray();

    [Fact]
    public async Task The_pool_warns_at_80_and_100_percent_once_each()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true), members: 1);

        await UseAsync(team, team.Owner, 700);
        Assert.Empty((await db.WarningsAsync(team.Id)));

        await UseAsync(team, team.Members[0], 100);
        var eighty = Assert.Single((await db.WarningsAsync(team.Id)));
        Assert.Equal(new TeamUsageWarning(team.TenantId, team.Id, null, 80, 800, 1_000, team.Plan.CurrentPeriodStart), eighty);

        await UseAsync(team, team.Owner, 150);
        Assert.Single((await db.WarningsAsync(team.Id)));

        await UseAsync(team, team.Owner, 50);
        Assert.Equal(
            new[] { new TeamUsageWarning(team.TenantId, team.Id, null, 100, 1_000, 1_000, team.Plan.CurrentPeriodStart) },
            (await db.WarningsAsync(team.Id)).Where(w => w.ThresholdPercent == 100));

        // Refused requests at the limit raise nothing more.
        await Assert.ThrowsAsync<Radiant.Errors.RadiantLimitExceededException>(() => UseAsync(team, team.Owner, 1));
        Assert.Equal(new (Guid?, int)[] { (null, 80), (null, 100) }, await RaisedAsync(team));
    }

    [Fact]
    public async Task A_settlement_warns_when_it_crosses_a_threshold_and_a_reservation_alone_does_not()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true));
        var reservation = await db.Teams.ReserveAsync(team.Owner, team.Id, new TeamReservationRequest(900), Ct);
        Assert.Empty(await db.WarningsAsync(team.Id));

        await db.Teams.SettleAsync(team.Owner, team.Id, reservation.Id, new TeamUsage(850), Ct);

        Assert.Equal(
            new[] { new TeamUsageWarning(team.TenantId, team.Id, null, 80, 850, 1_000, team.Plan.CurrentPeriodStart) },
            await db.WarningsAsync(team.Id));
    }

    [Fact]
    public async Task One_request_crossing_both_thresholds_raises_both()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true));

        await UseAsync(team, team.Owner, 1_000);

        Assert.Equal(new (Guid?, int)[] { (null, 80), (null, 100) }, await RaisedAsync(team));
    }

    [Fact]
    public async Task An_allocation_warns_for_its_member_at_80_and_100_percent()
    {
        var team = await CreateTeamAsync(Plan(pool: 100_000, shared: false), members: 2);
        var (member, other) = (team.Members[0], team.Members[1]);
        await AllocateAsync(db.Teams, team, member, 500);
        await AllocateAsync(db.Teams, team, other, 500);

        await UseAsync(team, member, 399);
        Assert.Empty((await db.WarningsAsync(team.Id)));
        await UseAsync(team, member, 1);
        await UseAsync(team, other, 100);
        await UseAsync(team, member, 100);

        var warnings = (await db.WarningsAsync(team.Id));
        Assert.Equal(new (Guid?, int)[] { (member.UserId, 80), (member.UserId, 100) }, await RaisedAsync(team));
        Assert.Equal(new TeamUsageWarning(team.TenantId, team.Id, member.UserId, 80, 400, 500, team.Plan.CurrentPeriodStart), warnings.Single(w => w.ThresholdPercent == 80));
        Assert.Equal(new TeamUsageWarning(team.TenantId, team.Id, member.UserId, 100, 500, 500, team.Plan.CurrentPeriodStart), warnings.Single(w => w.ThresholdPercent == 100));
    }

    [Fact]
    public async Task Many_concurrent_requests_crossing_the_pool_thresholds_raise_each_warning_once()
    {
        var team = await CreateTeamAsync(Plan(pool: 5_000, shared: true), members: 3);
        var users = team.Members.Append(team.Owner).ToArray();

        var outcomes = await InParallelAsync(100, i => UseAsync(team, users[i % users.Length], 100));

        Assert.Equal(50, outcomes.Count(o => o.Succeeded));
        Assert.Equal(new (Guid?, int)[] { (null, 80), (null, 100) }, await RaisedAsync(team));
        Assert.Equal(4_000, (await db.WarningsAsync(team.Id)).Single(w => w.ThresholdPercent == 80).TokensUsed);
    }

    [Fact]
    public async Task Many_concurrent_requests_crossing_allocation_and_pool_thresholds_raise_each_warning_once()
    {
        // Allocations add up to the pool, so both the pool and every allocation cross 80 % and 100 %.
        var team = await CreateTeamAsync(Plan(pool: 3_000, shared: false), members: 3);
        foreach (var member in team.Members)
        {
            await AllocateAsync(db.Teams, team, member, 1_000);
        }

        var outcomes = await InParallelAsync(90, i => UseAsync(team, team.Members[i % 3], 100));

        Assert.Equal(30, outcomes.Count(o => o.Succeeded));
        var expected = team.Members.SelectMany(m => new (Guid?, int)[] { (m.UserId, 80), (m.UserId, 100) })
            .Concat([(null, 80), (null, 100)]).Order().ToArray();
        Assert.Equal(expected, await RaisedAsync(team));
    }

    [Fact]
    public async Task Warnings_are_raised_again_in_the_next_period()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true));
        await UseAsync(team, team.Owner, 800);
        Assert.Single((await db.WarningsAsync(team.Id)));

        var reset = await db.Teams.ResetPeriodAsync(Admin(team.TenantId), team.Id, Ct);
        await UseAsync(team, team.Owner, 900);
        await UseAsync(team, team.Owner, 100);

        var warnings = (await db.WarningsAsync(team.Id));
        Assert.Equal(3, warnings.Count);
        Assert.Equal(new[] { 80, 100 }, warnings.Where(w => w.PeriodStart == reset.CurrentPeriodStart).Select(w => w.ThresholdPercent).Order());
        Assert.Equal(team.Plan.CurrentPeriodStart, warnings.Single(w => w.PeriodStart != reset.CurrentPeriodStart).PeriodStart);
    }
}
