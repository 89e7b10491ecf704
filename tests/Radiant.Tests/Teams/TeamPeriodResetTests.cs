using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Radiant.Errors;
using Radiant.Hosting;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Teams;
using Radiant.Teams;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Scheduling.Worker;
using static Radiant.Tests.Teams.TeamTestSupport;

namespace Radiant.Tests.Teams;

/// <summary>
/// The end of a period: closed exactly once whoever closes it (several instances, the usage that finds it ended, a
/// tenant admin's reset), its totals kept, the counters back to zero.
/// </summary>
public sealed class TeamPeriodResetTests(TeamDatabase db) : IClassFixture<TeamDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<TestTeam> CreateTeamAsync(TeamCreate create, int members = 0) => TeamTestSupport.CreateTeamAsync(db.Teams, db.NewUserAsync, create, members);

    private Task<UsageRecorded> UseAsync(TestTeam team, RadiantCaller user, long tokens) => db.Teams.RecordUsageAsync(user, team.Id, new TeamUsage(tokens), Ct);

    private Task<long> AppScalarAsync(TestTeam team, string sql) => ScalarAsAppAsync(db.ConnectionString, team.TenantId, sql);

    private async Task<DateTimeOffset> DatabaseNowAsync()
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT now()", connection);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(Ct))!, TimeSpan.Zero);
    }

    /// <summary>Plans whose period has ended, across tenants (as the owner, which bypasses RLS).</summary>
    private async Task<long> DuePlansAsync()
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM radiant.team_plans WHERE current_period_end <= now()", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private Task<DateTimeOffset> AnchorAsync(TestTeam team) => ReadTimeAsync(team, $"SELECT period_anchor FROM radiant.team_plans WHERE id = '{team.Id}'");

    private async Task<DateTimeOffset> ReadTimeAsync(TestTeam team, string sql)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var transaction = await RawSql.BeginAsAppAsync(connection, team.TenantId, null);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(Ct))!, TimeSpan.Zero);
    }

    /// <summary>The new period is the anchor's period that contains now.</summary>
    private async Task AssertCurrentPeriodIsTheAnchorPeriodContainingNowAsync(TestTeam team, TeamPlan plan)
    {
        var anchor = await AnchorAsync(team);
        var now = await DatabaseNowAsync();
        Assert.Equal(TeamPeriods.Containing(anchor, now), (plan.CurrentPeriodStart, plan.CurrentPeriodEnd));
    }

    [Fact]
    public async Task Three_instances_rolling_over_at_once_close_each_due_period_exactly_once()
    {
        var second = await db.StartInstanceAsync();
        var third = await db.StartInstanceAsync();
        var instances = new[] { db.Teams, second.GetRequiredService<ITeamService>(), third.GetRequiredService<ITeamService>() };
        var teams = new List<TestTeam>();
        for (var i = 0; i < 8; i++)
        {
            var team = await CreateTeamAsync(Plan(pool: 10_000, shared: false), members: 2);
            await AllocateAsync(db.Teams, team, team.Members[0], 3_000);
            await UseAsync(team, team.Members[0], 100 * (i + 1));
            await UseAsync(team, team.Members[0], 7);
            teams.Add(team);
        }

        var removed = teams[0].Members[0];
        await db.Teams.RemoveMemberAsync(teams[0].Owner, teams[0].Id, removed.UserId, Ct);
        var finished = new List<TeamPlan>();
        foreach (var team in teams)
        {
            await MakePeriodDueAsync(db.ConnectionString, team);
            finished.Add(await db.Teams.GetAsync(team.Owner, team.Id, Ct));
        }

        Assert.Equal(teams.Count, await DuePlansAsync());

        // Each instance runs the job twice, all six at once.
        var outcomes = await InParallelAsync(6, i => instances[i % 3].RollOverDuePeriodsAsync(Ct));

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error?.ToString()));
        Assert.Equal(teams.Count, outcomes.Sum(o => o.Value));
        Assert.Equal(0, await DuePlansAsync());
        Assert.Equal(0, await db.Teams.RollOverDuePeriodsAsync(Ct));
        for (var i = 0; i < teams.Count; i++)
        {
            var (team, old) = (teams[i], finished[i]);
            var history = Assert.Single((await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items);
            Assert.Equal(new TeamPeriodSummary(old.CurrentPeriodStart, old.CurrentPeriodEnd, 10_000, (100 * (i + 1)) + 7), history);

            // Per member: the active ones, and the removed one who used tokens.
            Assert.Equal(3, await AppScalarAsync(team, $"SELECT count(*) FROM radiant.team_member_periods WHERE team_id = '{team.Id}'"));
            Assert.Equal((100 * (i + 1)) + 7, await AppScalarAsync(team, $"SELECT tokens_used FROM radiant.team_member_periods WHERE team_id = '{team.Id}' AND user_id = '{team.Members[0].UserId}'"));
            Assert.Equal(3_000, await AppScalarAsync(team, $"SELECT token_allocation FROM radiant.team_member_periods WHERE team_id = '{team.Id}' AND user_id = '{team.Members[0].UserId}'"));
            Assert.Equal(0, await AppScalarAsync(team, $"SELECT tokens_used FROM radiant.team_member_periods WHERE team_id = '{team.Id}' AND user_id = '{team.Owner.UserId}'"));

            var plan = await db.Teams.GetAsync(team.Owner, team.Id, Ct);
            Assert.Equal(0, plan.TokensUsedThisPeriod);
            Assert.Equal(0, await AppScalarAsync(team, $"SELECT coalesce(sum(tokens_used_this_period), 0) FROM radiant.team_members WHERE team_id = '{team.Id}'"));
            await AssertCurrentPeriodIsTheAnchorPeriodContainingNowAsync(team, plan);
            // The allocation carries over; the whole of it is available again (the removed member of team 0 aside).
            if (i > 0)
            {
                Assert.Equal(new UsageRecorded(3_000, 7_000, 3_000, 0), await UseAsync(team, team.Members[0], 3_000));
            }
        }
    }

    [Fact]
    public async Task Usage_after_the_period_end_rolls_it_over_on_the_spot_and_counts_in_the_new_period()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: true), members: 1);
        await UseAsync(team, team.Members[0], 900);
        await MakePeriodDueAsync(db.ConnectionString, team, back: "1 month 1 day");
        var finished = await db.Teams.GetAsync(team.Owner, team.Id, Ct);

        // No worker runs here: the usage itself finds the period over. The full pool is available again.
        var recorded = await UseAsync(team, team.Owner, 1_000);

        Assert.Equal(new UsageRecorded(1_000, 0, 1_000, null), recorded);
        var plan = await db.Teams.GetAsync(team.Owner, team.Id, Ct);
        await AssertCurrentPeriodIsTheAnchorPeriodContainingNowAsync(team, plan);
        Assert.Equal(1_000, plan.TokensUsedThisPeriod);
        Assert.Equal(new TeamPeriodSummary(finished.CurrentPeriodStart, finished.CurrentPeriodEnd, 1_000, 900), Assert.Single((await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items));
        Assert.Equal(0, await MemberUsedAsync(db.ConnectionString, team, team.Members[0]));
        Assert.Equal(1, await AppScalarAsync(team, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{team.Id}' AND tokens_used = 1000 AND period_start = '{plan.CurrentPeriodStart:O}'"));
        Assert.Equal(0, await db.Teams.RollOverDuePeriodsAsync(Ct));
        // 80 % was raised in the finished period (before it was moved back); the new period raises its own 80 % and 100 %.
        Assert.Equal(
            new[] { (team.Plan.CurrentPeriodStart, 80), (plan.CurrentPeriodStart, 80), (plan.CurrentPeriodStart, 100) }.Order(),
            (await db.WarningsAsync(team.Id)).Select(w => (w.PeriodStart, w.ThresholdPercent)).Order());
    }

    [Fact]
    public async Task Concurrent_usage_after_the_period_end_rolls_it_over_once_and_counts_every_request()
    {
        // Several teams, one after the other, each hit by 50 requests at once just after its period ended.
        for (var round = 0; round < 5; round++)
        {
            var team = await CreateTeamAsync(Plan(pool: 100_000, shared: true), members: 3);
            var users = team.Members.Append(team.Owner).ToArray();
            await UseAsync(team, team.Owner, 500);
            await MakePeriodDueAsync(db.ConnectionString, team, back: "1 month 1 day");
            var finished = await db.Teams.GetAsync(team.Owner, team.Id, Ct);

            var outcomes = await InParallelAsync(50, i => UseAsync(team, users[i % users.Length], 100));

            // Closed once, with its totals; whatever was accepted counts in the new period, nothing lost.
            Assert.Equal(new TeamPeriodSummary(finished.CurrentPeriodStart, finished.CurrentPeriodEnd, 100_000, 500), Assert.Single((await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items));
            var plan = await db.Teams.GetAsync(team.Owner, team.Id, Ct);
            var accepted = outcomes.Count(o => o.Succeeded);
            Assert.Equal(100L * accepted, plan.TokensUsedThisPeriod);
            await AssertCurrentPeriodIsTheAnchorPeriodContainingNowAsync(team, plan);
            Assert.Equal(accepted, await AppScalarAsync(team, $"SELECT count(*) FROM radiant.team_usage_log WHERE team_id = '{team.Id}' AND period_start = '{plan.CurrentPeriodStart:O}'"));
            // And every request was accepted: the pool had room for all of them.
            Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error?.ToString()));
            Assert.Equal(5_000, plan.TokensUsedThisPeriod);
        }
    }

    [Fact]
    public async Task A_tenant_admins_reset_closes_the_period_now_and_keeps_its_totals()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000, shared: false), members: 1);
        await AllocateAsync(db.Teams, team, team.Members[0], 500);
        await UseAsync(team, team.Members[0], 500);
        var error = await Assert.ThrowsAsync<RadiantLimitExceededException>(() => UseAsync(team, team.Members[0], 1));
        Assert.Equal("member_allocation", error.Limit);
        var before = await DatabaseNowAsync();

        var reset = await db.Teams.ResetPeriodAsync(Admin(team.TenantId), team.Id, Ct);

        var after = await DatabaseNowAsync();
        Assert.InRange(reset.CurrentPeriodStart, before, after);
        // The new period starts now and ends on the plan's regular boundary.
        Assert.Equal(team.Plan.CurrentPeriodEnd, reset.CurrentPeriodEnd);
        Assert.Equal(0, reset.TokensUsedThisPeriod);
        Assert.Equal(0, await MemberUsedAsync(db.ConnectionString, team, team.Members[0]));
        var history = Assert.Single((await db.Teams.ListPeriodsAsync(team.Members[0], team.Id, cancellationToken: Ct)).Items);
        Assert.Equal(new TeamPeriodSummary(team.Plan.CurrentPeriodStart, reset.CurrentPeriodStart, 1_000, 500), history);
        Assert.Equal(500, await AppScalarAsync(team, $"SELECT tokens_used FROM radiant.team_member_periods WHERE team_id = '{team.Id}' AND user_id = '{team.Members[0].UserId}'"));
        // The allocation is whole again, and its warnings can fire again.
        Assert.Equal(new UsageRecorded(500, 500, 500, 0), await UseAsync(team, team.Members[0], 500));
        Assert.Equal(2, (await db.WarningsAsync(team.Id)).Count(w => w.PeriodStart == reset.CurrentPeriodStart && w.UserId == team.Members[0].UserId));
        Assert.Equal(2, (await db.WarningsAsync(team.Id)).Count(w => w.PeriodStart == team.Plan.CurrentPeriodStart && w.UserId == team.Members[0].UserId));

        // A second reset keeps both finished periods, newest first.
        await db.Teams.ResetPeriodAsync(Admin(team.TenantId), team.Id, Ct);
        var periods = (await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items;
        Assert.Equal(new[] { reset.CurrentPeriodStart, team.Plan.CurrentPeriodStart }, periods.Select(p => p.PeriodStart));
        Assert.Equal(new long[] { 500, 500 }, periods.Select(p => p.TokensUsed));
    }

    [Fact]
    public async Task Reset_is_refused_to_the_plans_owner_unless_they_administer_the_tenant()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 0);
        await UseAsync(team, team.Owner, 250);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => db.Teams.ResetPeriodAsync(team.Owner, team.Id, Ct));

        Assert.Equal(250, (await db.Teams.GetAsync(team.Owner, team.Id, Ct)).TokensUsedThisPeriod);
        Assert.Empty((await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Reset_of_an_unknown_team_is_not_found()
    {
        var owner = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantNotFoundException>(() => db.Teams.ResetPeriodAsync(Admin(owner.TenantId), Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task The_worker_closes_ended_periods_on_its_own()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 0);
        await UseAsync(team, team.Owner, 250);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var closed = new SignalingLoggerProvider((_, values) => values.Any(v => v.Key == "TeamId" && Equals(v.Value, team.Id)));
        // Made due before the worker starts: its first tick may run at any moment after the start, so the period it
        // closes must already be the one read here.
        await MakePeriodDueAsync(db.ConnectionString, team);
        var finished = await db.Teams.GetAsync(team.Owner, team.Id, Ct);
        await db.StartInstanceAsync(withWorker: true, services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddSingleton<ILoggerProvider>(closed);
        });

        await closed.Signaled.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // The roll-over logs just before its transaction commits: wait for the closed period to show.
        var periods = await Poll.ForAsync(() => db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct), p => p.Items.Count > 0, "the closed period to be committed");

        Assert.Equal(new TeamPeriodSummary(finished.CurrentPeriodStart, finished.CurrentPeriodEnd, 1_000, 250), Assert.Single(periods.Items));
        Assert.Equal(0, (await db.Teams.GetAsync(team.Owner, team.Id, Ct)).TokensUsedThisPeriod);
    }

    [Fact]
    public async Task The_worker_logs_an_unexpected_exception_keeps_running_and_closes_the_period_at_a_later_tick()
    {
        var team = await CreateTeamAsync(Plan(pool: 1_000), members: 0);
        await UseAsync(team, team.Owner, 250);
        await MakePeriodDueAsync(db.ConnectionString, team);
        var finished = await db.Teams.GetAsync(team.Owner, team.Id, Ct);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var teams = FlakyRollOverTeamService.Wrap(db.Teams, new InvalidOperationException("a bug in the first round"));
        var log = new CollectedLog();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log));
        using var worker = new TeamPeriodWorker(
            teams,
            new Radiant.Postgres.Health.WorkerHealth(clock),
            Options.Create(new RadiantPostgresOptions { ConnectionString = db.ConnectionString, TeamPeriodCheckInterval = TimeSpan.FromHours(1) }),
            clock,
            loggers.CreateLogger<TeamPeriodWorker>());

        // The first round (at start) throws; an exception escaping ExecuteAsync would end the worker and stop the host.
        await worker.StartAsync(Ct);
        await ((FlakyRollOverTeamService)(object)teams).FirstCallFailed.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        bool Logged() => log.Lines.Any(l => l.Contains("Error", StringComparison.Ordinal) && l.Contains("a bug in the first round", StringComparison.Ordinal));
        Assert.True(await Poll.UntilAsync(() => Logged() || worker.ExecuteTask!.IsCompleted), "the failure was neither logged nor did it end the worker");
        Assert.False(worker.ExecuteTask!.IsCompleted, $"the worker ended: {worker.ExecuteTask.Exception}");
        Assert.True(Logged());

        // The next tick (an hour on the worker's clock) rolls the period over.
        clock.Advance(TimeSpan.FromHours(1));
        var rolled = await ((FlakyRollOverTeamService)(object)teams).LaterCallSucceeded.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.True(rolled >= 1, $"{rolled} plans rolled over");
        Assert.Equal(new TeamPeriodSummary(finished.CurrentPeriodStart, finished.CurrentPeriodEnd, 1_000, 250), Assert.Single((await db.Teams.ListPeriodsAsync(team.Owner, team.Id, cancellationToken: Ct)).Items));
        Assert.False(worker.ExecuteTask.IsCompleted);

        // Only the stop ends it, without an error.
        await worker.StopAsync(Ct);
        Assert.True(worker.ExecuteTask.IsCompleted);
        Assert.False(worker.ExecuteTask.IsFaulted, $"{worker.ExecuteTask.Exception}");
    }
}

/// <summary>An <see cref="ITeamService"/> whose first <c>RollOverDuePeriodsAsync</c> fails; every other call goes to the real service.</summary>
public class FlakyRollOverTeamService : DispatchProxy
{
    private readonly TaskCompletionSource _firstCallFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _laterCallSucceeded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITeamService? _inner;
    private Exception? _failure;
    private int _calls;

    public Task FirstCallFailed => _firstCallFailed.Task;

    public Task<int> LaterCallSucceeded => _laterCallSucceeded.Task;

    public static ITeamService Wrap(ITeamService inner, Exception failure)
    {
        var proxy = Create<ITeamService, FlakyRollOverTeamService>();
        var flaky = (FlakyRollOverTeamService)(object)proxy;
        flaky._inner = inner;
        flaky._failure = failure;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name != nameof(ITeamService.RollOverDuePeriodsAsync))
        {
            return targetMethod.Invoke(_inner, args);
        }

        if (Interlocked.Increment(ref _calls) == 1)
        {
            _firstCallFailed.TrySetResult();
            return Task.FromException<int>(_failure!);
        }

        return Observe(_inner!.RollOverDuePeriodsAsync((CancellationToken)args![0]!));
    }

    private async Task<int> Observe(Task<int> call)
    {
        var rolled = await call;
        _laterCallSucceeded.TrySetResult(rolled);
        return rolled;
    }
}
