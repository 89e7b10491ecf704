using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.Postgres.Teams;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>Holding team budget before a call, settling it to the real usage, releasing it, and its expiry.</summary>
public sealed class TeamReservationTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITeamService Teams => db.Services.GetRequiredService<ITeamService>();

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(Teams, db.NewUserAsync, create, members);

    private Task<TeamReservation> ReserveAsync(TestTeam team, RadiantCaller user, long max, long min = 1) =>
        Teams.ReserveAsync(user, team.Id, new TeamReservationRequest(max, min), Ct);

    private Task<long> HeldAsync(TestTeam team) =>
        ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_reservations WHERE team_id = '{team.Id}' AND state = 'held'");

    [Fact]
    public async Task A_reservation_holds_its_maximum_and_settles_to_the_real_usage()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 1);
        var member = team.Members[0];

        var reservation = await ReserveAsync(team, member, 300);
        Assert.Equal((300L, 300L, 700L, (long?)null, false), (reservation.TokensRequested, reservation.TokensHeld, reservation.TeamTokensRemaining, reservation.MemberTokensRemaining, reservation.IsShrunk));
        Assert.Equal(0, await TeamUsedAsync(db.ConnectionString, team));

        // The hold is not available to others: 800 no longer fits, 700 does not either once 1 is used.
        var refused = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(800), Ct));
        Assert.Equal(("team_pool", 700L), (refused.Limit, refused.Remaining));

        var settled = await Teams.SettleAsync(member, team.Id, reservation.Id, new TeamUsage(120, "gpt-4o", "chat"), Ct);

        Assert.Equal(new TeamSettlement(reservation.Id, 120, 0, new UsageRecorded(120, 880, 120, null)), settled);
        Assert.False(settled.IsCapped);
        Assert.Equal(120, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(120, await MemberUsedAsync(db.ConnectionString, team, member));
        Assert.Equal(1, await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(1, await ScalarAsAppAsync(db.ConnectionString, team.TenantId, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{team.Id}' AND model = 'gpt-4o' AND usage_type = 'chat' AND tokens_used = 120"));
        Assert.Equal(0, await HeldAsync(team));
        Assert.Equal(new UsageRecorded(1_000, 0, 880, null), await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(880), Ct));
    }

    [Fact]
    public async Task Releasing_frees_the_hold_and_a_second_release_does_nothing()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        var first = await ReserveAsync(team, team.Owner, 600);
        var refused = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => ReserveAsync(team, team.Owner, 600, min: 600));
        Assert.Equal(("team_pool", 400L), (refused.Limit, refused.Remaining));

        await Teams.ReleaseAsync(team.Owner, team.Id, first.Id, Ct);
        await Teams.ReleaseAsync(team.Owner, team.Id, first.Id, Ct);

        Assert.Equal(600, (await ReserveAsync(team, team.Owner, 600, min: 600)).TokensHeld);
        Assert.Equal(0, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(0, await LogRowsAsync(db.ConnectionString, team));
        var conflict = await Assert.ThrowsAsync<RadiantConflictException>(() => Teams.SettleAsync(team.Owner, team.Id, first.Id, new TeamUsage(10), Ct));
        Assert.Contains("released", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reservation_shrinks_to_what_remains_down_to_its_minimum()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(900), Ct);

        var shrunk = await ReserveAsync(team, team.Owner, max: 500, min: 50);

        Assert.Equal((500L, 100L, 0L, true), (shrunk.TokensRequested, shrunk.TokensHeld, shrunk.TeamTokensRemaining, shrunk.IsShrunk));
    }

    [Fact]
    public async Task A_reservation_below_its_minimum_is_refused_with_the_limit_and_what_remains_and_holds_nothing()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(950), Ct);

        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => ReserveAsync(team, team.Owner, max: 500, min: 100));

        Assert.Equal(("team_pool", 50L), (error.Limit, error.Remaining));
        Assert.Contains("50", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await HeldAsync(team));
        Assert.Equal(new UsageRecorded(1_000, 0, 1_000, null), await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(50), Ct));
    }

    [Fact]
    public async Task Fifty_concurrent_reservations_against_a_pool_that_fits_20_never_overspend_and_each_settles_once()
    {
        var team = await CreateTeamAsync(Plan(maxMembers: 50, pool: 2_000), members: 9);
        var callers = new[] { team.Owner }.Concat(team.Members).ToArray();

        var reservations = await InParallelAsync(50, async i =>
        {
            var caller = callers[i % callers.Length];
            return (Caller: caller, Reservation: await ReserveAsync(team, caller, max: 100, min: 100));
        });

        var held = reservations.Where(r => r.Succeeded).Select(r => r.Value).ToList();
        Assert.Equal(20, held.Count);
        Assert.All(reservations.Where(r => !r.Succeeded), r => Assert.Equal("team_pool", Assert.IsType<RadiantLimitExceededException>(r.Error).Limit));
        Assert.All(held, r => Assert.Equal(100, r.Reservation.TokensHeld));

        // Each settles twice, all at once: charged once each.
        var settlements = await InParallelAsync(40, i => Teams.SettleAsync(held[i % 20].Caller, team.Id, held[i % 20].Reservation.Id, new TeamUsage(100), Ct));

        Assert.All(settlements, s => Assert.True(s.Succeeded, s.Error?.ToString()));
        Assert.All(settlements, s => Assert.Equal(100, s.Value!.TokensCharged));
        Assert.Equal(2_000, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(20, await LogRowsAsync(db.ConnectionString, team));
        Assert.Equal(2_000, await LoggedTokensAsync(db.ConnectionString, team));
        Assert.Equal(0, await HeldAsync(team));
    }

    [Fact]
    public async Task Settling_twice_returns_the_first_settlement_and_charges_once()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        var reservation = await ReserveAsync(team, team.Owner, 200);
        var first = await Teams.SettleAsync(team.Owner, team.Id, reservation.Id, new TeamUsage(150), Ct);
        await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(10), Ct);

        var again = await Teams.SettleAsync(team.Owner, team.Id, reservation.Id, new TeamUsage(190), Ct);
        await Teams.ReleaseAsync(team.Owner, team.Id, reservation.Id, Ct);

        Assert.Equal(first, again);
        Assert.Equal(160, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(2, await LogRowsAsync(db.ConnectionString, team));
    }

    [Fact]
    public async Task Usage_beyond_the_hold_is_charged_when_it_fits_and_capped_at_the_hold_when_it_does_not()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 1);
        var member = team.Members[0];

        var fits = await ReserveAsync(team, member, 100);
        Assert.Equal((150L, 0L), Pair(await Teams.SettleAsync(member, team.Id, fits.Id, new TeamUsage(150), Ct)));

        // 850 remain; a hold of 100, then 730 used by the owner: 20 remain beyond the hold, the excess of 50 does not fit.
        var capped = await ReserveAsync(team, member, 100);
        await Teams.RecordUsageAsync(team.Owner, team.Id, new TeamUsage(730), Ct);
        var settlement = await Teams.SettleAsync(member, team.Id, capped.Id, new TeamUsage(150), Ct);

        Assert.Equal((100L, 50L, true), (settlement.TokensCharged, settlement.TokensNotCharged, settlement.IsCapped));
        Assert.Equal(980, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(980, await LoggedTokensAsync(db.ConnectionString, team));

        static (long, long) Pair(TeamSettlement s) => (s.TokensCharged, s.TokensNotCharged);
    }

    [Fact]
    public async Task An_expired_reservation_stops_holding_budget_and_the_worker_marks_it()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        var crashed = await Teams.ReserveAsync(team.Owner, team.Id, new TeamReservationRequest(1_000, Expiry: TimeSpan.FromMinutes(2)), Ct);
        Assert.InRange(crashed.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddMinutes(3));
        await Assert.ThrowsAsync<RadiantLimitExceededException>(() => ReserveAsync(team, team.Owner, 1));

        // Its host crashed: nothing settles or releases it. Its expiry passes (moved into the past, as the clock would).
        await ExecuteAsAppAsync(db.ConnectionString, team.TenantId, $"UPDATE radiant.team_reservations SET expires_at = now() - interval '1 second' WHERE id = '{crashed.Id}'");

        var later = await ReserveAsync(team, team.Owner, 900);
        Assert.Equal(900, later.TokensHeld);

        // Settled late, the expired reservation holds nothing: only what fits is charged (100 does, 200 would not).
        var late = await Teams.SettleAsync(team.Owner, team.Id, crashed.Id, new TeamUsage(200), Ct);
        Assert.Equal((0L, 200L), (late.TokensCharged, late.TokensNotCharged));
        Assert.Equal(0, await TeamUsedAsync(db.ConnectionString, team));

        var idle = await CreateTeamAsync(Plan(pool: 1_000));
        var forgotten = await ReserveAsync(idle, idle.Owner, 10);
        await ExecuteAsAppAsync(db.ConnectionString, idle.TenantId, $"UPDATE radiant.team_reservations SET expires_at = now() - interval '1 second' WHERE id = '{forgotten.Id}'");
        Assert.True(await db.Services.GetRequiredService<TeamMetering>().ExpireReservationsAsync(Ct) >= 1);
        Assert.Equal(1, await ScalarAsAppAsync(db.ConnectionString, idle.TenantId, $"SELECT count(*) FROM radiant.team_reservations WHERE id = '{forgotten.Id}' AND state = 'expired'"));
        await Teams.ReleaseAsync(idle.Owner, idle.Id, forgotten.Id, Ct);
    }

    [Fact]
    public async Task On_a_plan_with_allocations_a_reservation_is_held_against_the_members_allocation_too()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 2);
        var (member, unallocated) = (team.Members[0], team.Members[1]);
        await AllocateAsync(Teams, team, member, 300);

        var held = await ReserveAsync(team, member, 500);
        Assert.Equal((300L, 700L, (long?)0L), (held.TokensHeld, held.TeamTokensRemaining, held.MemberTokensRemaining));

        var again = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => ReserveAsync(team, member, 10));
        Assert.Equal(("member_allocation", 0L), (again.Limit, again.Remaining));
        var record = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => Teams.RecordUsageAsync(member, team.Id, new TeamUsage(1), Ct));
        Assert.Equal("member_allocation", record.Limit);
        var none = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => ReserveAsync(team, unallocated, 10));
        Assert.Equal(("member_allocation", 0L), (none.Limit, none.Remaining));

        var settled = await Teams.SettleAsync(member, team.Id, held.Id, new TeamUsage(250), Ct);
        Assert.Equal(new UsageRecorded(250, 750, 250, 50), settled.Usage);
        Assert.Equal(250, await MemberUsedAsync(db.ConnectionString, team, member));
    }

    [Fact]
    public async Task Only_active_members_reserve_and_only_the_reserving_member_settles()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 1);
        var invitee = await db.NewUserAsync(team.TenantId);
        await Teams.InviteAsync(team.Owner, team.Id, new TeamInvitation(invitee.UserId), Ct);
        var outsider = await db.NewUserAsync(team.TenantId);
        var reservation = await ReserveAsync(team, team.Owner, 100);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => ReserveAsync(team, invitee, 10));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => ReserveAsync(team, outsider, 10));
        var notYours = await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.SettleAsync(team.Members[0], team.Id, reservation.Id, new TeamUsage(10), Ct));
        Assert.Equal("reservation", notYours.Resource);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ReleaseAsync(team.Members[0], team.Id, reservation.Id, Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => Teams.ReleaseAsync(team.Owner, team.Id, Guid.NewGuid(), Ct));

        await Teams.UpdateAsync(team.Owner, team.Id, new TeamUpdate { IsActive = false }, Ct);
        await Assert.ThrowsAsync<RadiantConflictException>(() => ReserveAsync(team, team.Owner, 10));
        // A hold granted before the plan was deactivated is still honoured.
        Assert.Equal(100, (await Teams.SettleAsync(team.Owner, team.Id, reservation.Id, new TeamUsage(100), Ct)).TokensCharged);
        Assert.Equal(0, await HeldAsync(team));
    }

    [Theory]
    [InlineData(0L, 1L, null, "maxTokens")]
    [InlineData(3_000_000_000L, 1L, null, "maxTokens")]
    [InlineData(10L, 0L, null, "minTokens")]
    [InlineData(10L, 11L, null, "minTokens")]
    [InlineData(10L, 1L, 0.5, "expiry")]
    [InlineData(10L, 1L, 90_000.0, "expiry")]
    public async Task Bad_reservation_requests_are_refused_naming_the_field(long max, long min, double? expirySeconds, string field)
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        var request = new TeamReservationRequest(max, min, expirySeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Teams.ReserveAsync(team.Owner, team.Id, request, Ct));

        Assert.Equal(new[] { field }, error.Errors.Keys);
        Assert.Equal(0, await HeldAsync(team));
    }

    [Fact]
    public async Task The_pipeline_settles_inside_its_own_transaction_which_commits_or_rolls_back_with_it()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000));
        var kernel = db.Services.GetRequiredService<RadiantDb>();
        var metering = db.Services.GetRequiredService<TeamMetering>();
        var reservation = await kernel.InTenantAsync(
            team.Owner, (c, t) => metering.ReserveAsync(c, t, team.Owner, team.Id, new TeamReservationRequest(300), Ct), Ct);

        // The transaction that settles fails afterwards (its own usage record, say): the settlement rolls back with it.
        await Assert.ThrowsAsync<InvalidOperationException>(() => kernel.InTenantAsync<int>(team.Owner, async (c, t) =>
        {
            await metering.SettleAsync(c, t, team.Owner, team.Id, reservation.Id, new TeamUsage(200), Ct);
            throw new InvalidOperationException("the usage record failed");
        }, Ct));
        Assert.Equal(0, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(1, await HeldAsync(team));

        var settled = await kernel.InTenantAsync(team.Owner, (c, t) => metering.SettleAsync(c, t, team.Owner, team.Id, reservation.Id, new TeamUsage(200), Ct), Ct);
        Assert.Equal(200, settled.TokensCharged);
        Assert.False(await kernel.InTenantAsync(team.Owner, (c, t) => metering.ReleaseAsync(c, t, team.Owner, team.Id, reservation.Id, Ct), Ct));
        Assert.Equal(200, await TeamUsedAsync(db.ConnectionString, team));
        Assert.Equal(1, await LogRowsAsync(db.ConnectionString, team));
    }
}
