using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Recording usage against the pool and allocations, under concurrency; usage stats.</summary>
public sealed class TeamUsageTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITeamService Teams => db.Services.GetRequiredService<ITeamService>();

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(Teams, db.NewUserAsync, create, members);

    private Task<UsageRecorded> UseAsync(TestTeam team, RadiantCaller user, long tokens) => Teams.RecordUsageAsync(user, team.Id, new TeamUsage(tokens), Ct);

    /// <summary>The team's and each member's counters plus the log, to prove a refused request changed nothing.</summary>
    private async Task<(long Team, long Log, long LogTokens, long[] Members)> SnapshotAsync(TestTeam team, params RadiantCaller[] members)
    {
        var used = new long[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            used[i] = await MemberUsedAsync(db.ConnectionString, team, members[i]);
        }

        return (await TeamUsedAsync(db.ConnectionString, team), await LogRowsAsync(db.ConnectionString, team), await LoggedTokensAsync(db.ConnectionString, team), used);
    }

    private async Task AssertUnchangedAsync(TestTeam team, (long Team, long Log, long LogTokens, long[] Members) before, params RadiantCaller[] members)
    {
        var after = await SnapshotAsync(team, members);
        Assert.Equal(before.Team, after.Team);
        Assert.Equal(before.Log, after.Log);
        Assert.Equal(before.LogTokens, after.LogTokens);
        Assert.Equal(before.Members, after.Members);
    }

    [Fact]
    public async Task Usage_of_an_active_member_counts_for_the_team_and_the_member_and_is_logged()
    {
        var team = await CreateTeamAsync(Plan(pool: 10_000), members: 1);
        var member = team.Members[0];

        var first = await Teams.RecordUsageAsync(member, team.Id, new TeamUsage(1_200, "gpt-4o", "chat"), Ct);
        var second = await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(300), Ct);

        Assert.Equal(new UsageRecorded(1_200, 8_800, 1_200, null), first);
        Assert.Equal(new UsageRecorded(1_500, 8_500, 300, null), second);
        Assert.Equal(1_500, (await Teams.GetAsync(member, team.Id, Ct)).TokensUsedThisPeriod);
        Assert.Equal(2, await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(1, await ScalarAsAppAsync(
            db.ConnectionString,
            team.TenantId,
            $"SELECT count(*) FROM radiant.team_usage_log l JOIN radiant.team_plans p ON p.id = l.team_id AND p.tenant_id = l.tenant_id WHERE l.team_id = '{team.Id}' AND l.user_id = '{member.UserId}' AND l.tokens_used = 1200 AND l.model = 'gpt-4o' AND l.usage_type = 'chat' AND l.period_start = p.current_period_start"));
    }

    [Fact]
    public async Task Only_active_members_record_usage()
    {
        var team = await CreateTeamAsync(Plan(), members: 1);
        var pending = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(pending.UserId), Ct);
        var declined = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(declined.UserId), Ct);
        await Teams.DeclineInvitationAsync(declined, team.Id, Ct);
        var removed = team.Members[0];
        await UseAsync(team, removed, 10);
        await Teams.RemoveMemberAsync(team.Owner, team.Id, removed.UserId, Ct);
        var outsider = await db.NewUserAsync(team.TenantId);
        var before = await SnapshotAsync(team, removed);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => UseAsync(team, pending, 1));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => UseAsync(team, declined, 1));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => UseAsync(team, removed, 1));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => UseAsync(team, outsider, 1));

        await AssertUnchangedAsync(team, before, removed);
        Assert.Equal(10, before.Team);
    }

    [Theory]
    [InlineData(0L, null, null, "tokens")]
    [InlineData(-5L, null, null, "tokens")]
    [InlineData(2_147_483_648L, null, null, "tokens")]
    [InlineData(1L, "", null, "model")]
    [InlineData(1L, null, " ", "usageType")]
    [InlineData(1L, "101", null, "model")]
    [InlineData(1L, null, "51", "usageType")]
    public async Task Invalid_usage_is_refused_naming_the_field(long tokens, string? model, string? usageType, string field)
    {
        var team = await CreateTeamAsync(Plan());
        var usage = new TeamUsage(tokens, model == "101" ? new string('m', 101) : model, usageType == "51" ? new string('u', 51) : usageType);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.RecordUsageAsync(team.Owner, team.Id, usage, Ct));

        Assert.Equal(new[] { field }, error.Errors.Keys);
        Assert.Equal(0, await LogRowsAsync(db.ConnectionString, team));
    }

    [Fact]
    public async Task A_shared_pool_refuses_usage_beyond_it_naming_the_limit_and_what_remains()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true), members: 1);
        var member = team.Members[0];
        await UseAsync(team, member, 600);
        await UseAsync(team, team.Owner, 300);
        var before = await SnapshotAsync(team, member, team.Owner);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, member, 101));

        Assert.Equal("team_pool", error.Limit);
        Assert.Equal(100, error.Remaining);
        Assert.Contains("100", error.Message, StringComparison.Ordinal);
        await AssertUnchangedAsync(team, before, member, team.Owner);

        // Exactly what remains is accepted; then nothing is left.
        Assert.Equal(new UsageRecorded(1_000, 0, 700, null), await UseAsync(team, member, 100));
        var empty = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, team.Owner, 1));
        Assert.Equal(("team_pool", 0L), (empty.Limit, empty.Remaining));
        Assert.Equal(1_000, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(1_000, await LoggedTokensAsync(db.ConnectionString, team));
    }

    [Fact]
    public async Task A_member_may_not_exceed_their_allocation_in_a_per_member_plan()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 2);
        var (member, other) = (team.Members[0], team.Members[1]);
        await AllocateAsync(Teams, team, member, 300);
        await AllocateAsync(Teams, team, other, 500);
        Assert.Equal(new UsageRecorded(250, 750, 250, 50), await UseAsync(team, member, 250));
        var before = await SnapshotAsync(team, member, other);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, member, 51));

        Assert.Equal("member_allocation", error.Limit);
        Assert.Equal(50, error.Remaining);
        await AssertUnchangedAsync(team, before, member, other);
        // Others draw on their own allocations; the member can still use exactly what is left.
        Assert.Equal(new UsageRecorded(750, 250, 500, 0), await UseAsync(team, other, 500));
        Assert.Equal(new UsageRecorded(800, 200, 300, 0), await UseAsync(team, member, 50));
    }

    [Fact]
    public async Task A_member_without_an_allocation_in_a_per_member_plan_is_refused()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 1);
        var before = await SnapshotAsync(team, team.Members[0]);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, team.Members[0], 1));

        Assert.Equal("member_allocation", error.Limit);
        Assert.Equal(0, error.Remaining);
        await AssertUnchangedAsync(team, before, team.Members[0]);
    }

    [Fact]
    public async Task A_lowered_allocation_below_what_was_used_refuses_further_usage()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 1);
        await AllocateAsync(Teams, team, team.Members[0], 500);
        await UseAsync(team, team.Members[0], 400);
        await AllocateAsync(Teams, team, team.Members[0], 300);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, team.Members[0], 1));

        Assert.Equal(("member_allocation", 0L), (error.Limit, error.Remaining));
    }

    [Fact]
    public async Task An_inactive_plan_records_no_usage()
    {
        var team = await CreateTeamAsync(Plan());
        await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { IsActive = false }, Ct);

        await Assert.ThrowsAsync<RadiantConflictException>(() => UseAsync(team, team.Owner, 1));

        Assert.Equal(0, await LogRowsAsync(db.ConnectionString, team));
        await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { IsActive = true }, Ct);
        Assert.Equal(1, (await UseAsync(team, team.Owner, 1)).TeamTokensUsed);
    }

    [Fact]
    public async Task A_hundred_concurrent_requests_asking_for_more_than_the_shared_pool_never_overspend_it()
    {
        var team = await CreateTeamAsync(Plan(pool: 6_000, shared: true), members: 4);
        await UseAsync(team, team.Owner, 1_000);
        var users = team.Members.Append(team.Owner).ToArray();

        // 100 × 100 tokens asked, 5,000 remaining.
        var outcomes = await InParallelAsync(100, i => UseAsync(team, users[i % users.Length], 100));

        var accepted = outcomes.Where(o => o.Succeeded).ToArray();
        Assert.Equal(50, accepted.Length);
        Assert.All(outcomes.Where(o => !o.Succeeded), o =>
        {
            var error = Assert.IsType<RadiantLimitExceededException>(o.Error);
            Assert.Equal("team_pool", error.Limit);
            Assert.InRange(error.Remaining, 0, 99);
        });
        Assert.Equal(6_000, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(51, await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(6_000, await LoggedTokensAsync(db.ConnectionString, team));
        var memberTotals = 0L;
        foreach (var user in users)
        {
            memberTotals += await MemberUsedAsync(db.ConnectionString, team, user);
        }

        Assert.Equal(6_000, memberTotals);
        // Each accepted call saw a distinct running total.
        Assert.Equal(Enumerable.Range(11, 50).Select(k => k * 100L), accepted.Select(o => o.Value!.TeamTokensUsed).Order());
    }

    [Fact]
    public async Task Concurrent_requests_of_mixed_sizes_never_overspend_and_every_accepted_one_is_logged()
    {
        var team = await CreateTeamAsync(Plan(pool: 20_000, shared: true), members: 3);
        var users = team.Members.Append(team.Owner).ToArray();
        long[] sizes = [37, 100, 250, 999, 1];

        var outcomes = await InParallelAsync(100, i => Teams.RecordUsageAsync(users[i % users.Length], team.Id, new TeamUsage(sizes[i % sizes.Length] * ((i % 7) + 1)), Ct));

        var acceptedTokens = outcomes.Select((o, i) => o.Succeeded ? sizes[i % sizes.Length] * ((i % 7) + 1) : 0).Sum();
        Assert.Contains(outcomes, o => !o.Succeeded);
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.Equal("team_pool", Assert.IsType<RadiantLimitExceededException>(o.Error).Limit));
        var used = await TeamUsedAsync(db.ConnectionString, team);
        Assert.True(used <= 20_000, $"overspent: {used}");
        Assert.Equal(acceptedTokens, used);
        Assert.Equal(outcomes.Count(o => o.Succeeded), await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(used, await LoggedTokensAsync(db.ConnectionString, team));
    }

    [Fact]
    public async Task Members_hammering_their_allocations_concurrently_never_exceed_them()
    {
        var team = await CreateTeamAsync(Plan(pool: 10_000, shared: false), members: 4);
        foreach (var member in team.Members)
        {
            await AllocateAsync(Teams, team, member, 1_000);
        }

        // Each member asks for 2,500 in 25 calls of 100 against an allocation of 1,000, all at once.
        var outcomes = await InParallelAsync(100, i => UseAsync(team, team.Members[i % 4], 100));

        Assert.Equal(40, outcomes.Count(o => o.Succeeded));
        Assert.All(outcomes.Where(o => !o.Succeeded), o =>
        {
            var error = Assert.IsType<RadiantLimitExceededException>(o.Error);
            Assert.Equal(("member_allocation", 0L), (error.Limit, error.Remaining));
        });
        foreach (var member in team.Members)
        {
            Assert.Equal(1_000, await MemberUsedAsync(db.ConnectionString, team, member));
            Assert.Equal(10, await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{team.Id}' AND user_id = '{member.UserId}'"));
        }

        Assert.Equal(4_000, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(40, await LogRowsAsync(db.ConnectionString, team));
    }

    [Fact]
    public async Task Concurrent_members_of_a_per_member_plan_are_held_by_their_allocations_and_the_pool_at_once()
    {
        // The pool binds too: 2,000 of it went to a member whose allocation was then cleared.
        var team = await CreateTeamAsync(Plan(pool: 5_000, shared: false), members: 4);
        var spender = team.Members[3];
        await AllocateAsync(Teams, team, spender, 2_000);
        await UseAsync(team, spender, 2_000);
        await AllocateAsync(Teams, team, spender, null);
        var hammering = team.Members.Take(3).ToArray();
        foreach (var member in hammering)
        {
            await AllocateAsync(Teams, team, member, 1_500);
        }

        // Three members ask for 3,000 each (allocations cap them at 4,500 together; the pool leaves 3,000).
        var outcomes = await InParallelAsync(90, i => UseAsync(team, hammering[i % 3], 100));

        Assert.Equal(30, outcomes.Count(o => o.Succeeded));
        Assert.All(outcomes.Where(o => !o.Succeeded), o =>
            Assert.Contains(Assert.IsType<RadiantLimitExceededException>(o.Error).Limit, new[] { "team_pool", "member_allocation" }));
        Assert.Equal(5_000, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(31, await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(5_000, await LoggedTokensAsync(db.ConnectionString, team));
        var hammered = 0L;
        foreach (var member in hammering)
        {
            var used = await MemberUsedAsync(db.ConnectionString, team, member);
            Assert.InRange(used, 0, 1_500);
            hammered += used;
        }

        Assert.Equal(3_000, hammered);
    }

    [Fact]
    public async Task Stats_show_the_pool_and_each_active_members_use_allocation_and_share()
    {
        var team = await CreateTeamAsync(Plan(pool: 3_000, shared: false, name: "Stats plan"), members: 2);
        var (admin, member) = (team.Members[0], team.Members[1]);
        await Teams.UpdateMemberAsync(team.Owner, team.Id, admin.UserId, new TeamMemberUpdate { Role = TeamRole.Admin }, Ct);
        await AllocateAsync(Teams, team, team.Owner, 1_500);
        await AllocateAsync(Teams, team, member, 1_000);
        await UseAsync(team, team.Owner, 1_000);
        await UseAsync(team, member, 2);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation((await db.NewUserAsync(team.TenantId)).UserId), Ct);

        var stats = await Teams.GetStatsAsync(member, team.Id, Ct);

        var plan = await Teams.GetAsync(member, team.Id, Ct);
        Assert.Equal(team.Id, stats.TeamId);
        Assert.Equal("Stats plan", stats.PlanName);
        Assert.False(stats.SharedPool);
        Assert.Equal(3_000, stats.TotalTokensMonthly);
        Assert.Equal(1_002, stats.TokensUsed);
        Assert.Equal(1_998, stats.TokensRemaining);
        Assert.Equal(plan.CurrentPeriodStart, stats.CurrentPeriodStart);
        Assert.Equal(plan.CurrentPeriodEnd, stats.CurrentPeriodEnd);
        Assert.Equal(
            new[]
            {
                new MemberUsage(team.Owner.UserId, $"{team.Owner.UserId:N}@example.test", "Test User", TeamRole.Owner, 1_000, 1_500, 33.33m),
                new MemberUsage(admin.UserId, $"{admin.UserId:N}@example.test", "Test User", TeamRole.Admin, 0, null, 0m),
                new MemberUsage(member.UserId, $"{member.UserId:N}@example.test", "Test User", TeamRole.Member, 2, 1_000, 0.07m),
            },
            stats.Members);
    }

    [Fact]
    public async Task Shares_are_percentages_of_the_pool_rounded_to_two_decimals()
    {
        var team = await CreateTeamAsync(Plan(pool: 8, shared: true), members: 1);
        await UseAsync(team, team.Owner, 8);

        var full = await Teams.GetStatsAsync(team.Owner, team.Id, Ct);
        Assert.Equal(100m, full.Members.Single(m => m.UserId == team.Owner.UserId).ShareOfPoolPercent);
        Assert.Equal(0, full.TokensRemaining);

        var other = await CreateTeamAsync(Plan(pool: 800, shared: true));
        await UseAsync(other, other.Owner, 1); // 0.125 % → 0.13 (away from zero)
        Assert.Equal(0.13m, Assert.Single((await Teams.GetStatsAsync(other.Owner, other.Id, Ct)).Members).ShareOfPoolPercent);
    }

    [Fact]
    public async Task Stats_and_periods_are_for_active_members_only()
    {
        var team = await CreateTeamAsync(Plan());
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.GetStatsAsync(invitee, team.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ListPeriodsAsync(invitee, team.Id, cancellationToken: Ct));
        Assert.Empty((await Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items);
    }
}
