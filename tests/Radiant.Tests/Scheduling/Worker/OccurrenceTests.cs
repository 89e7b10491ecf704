using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Which occurrences a running worker executes: max runs, pause and resume, a missed window.</summary>
public sealed class OccurrenceTests(PostgresServer server)
{
    private const string EverySecond = "*/1 * * * * *";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_every_second_cron_with_max_runs_3_runs_exactly_3_times_then_is_inactive()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "maxruns_cron");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        await scenario.StartWorkerAsync("w1", peer);

        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("thrice", "Tick", SchedulerScenario.Model, ScheduleType.Cron) { CronExpression = EverySecond, MaxRuns = 3 }, Ct);

        var finished = await Poll.ForAsync(() => scenario.Schedules.GetAsync(caller, schedule.Id, Ct), s => !s.IsActive, "the schedule to deactivate");
        var runs = await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.All(x => x.IsFinished), "its runs to finish");

        Assert.Null(finished.NextRun);
        Assert.Equal(3, finished.RunCount);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal("completed", r.Status));
        Assert.All(runs, r => Assert.Equal(0, r.ScheduledFor.Ticks % TimeSpan.TicksPerSecond)); // cron instants
        Assert.Equal(3, runs.Select(r => r.ScheduledFor).Distinct().Count());
        Assert.Equal(3, peer.RequestCount);

        // No fourth run: the worker keeps looking for due work, and nothing comes due.
        Assert.True(await Poll.HoldsForAsync(async () => (await scenario.RunsAsync(schedule.Id)).Count == 3, TimeSpan.FromSeconds(1.5)));
        Assert.Equal(3, peer.RequestCount);
    }

    [Fact]
    public async Task An_interval_schedule_with_max_runs_2_made_due_by_sql_runs_twice_then_never_again()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "maxruns_interval");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        await scenario.StartWorkerAsync("w1", peer);
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("hourly-ish", "Report", SchedulerScenario.Model, ScheduleType.Interval)
            {
                IntervalMinutes = 1,
                RunAt = DateTimeOffset.UtcNow.AddHours(1),
                MaxRuns = 2,
            }, Ct);

        // A minute is long for a test: bring the next occurrence to now, twice.
        var first = await scenario.MakeDueAsync(schedule.Id, "now() - interval '1 second'");
        await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.Count == 1 && r[0].IsFinished, "the first run");
        var afterFirst = await scenario.Schedules.GetAsync(caller, schedule.Id, Ct);
        Assert.True(afterFirst.IsActive);
        Assert.Equal(schedule.RunAt, afterFirst.NextRun); // the anchor, still ahead
        var second = await scenario.MakeDueAsync(schedule.Id, "now() - interval '1 second'");
        var runs = await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.Count == 2 && r.All(x => x.IsFinished), "the second run");

        var finished = await scenario.Schedules.GetAsync(caller, schedule.Id, Ct);
        Assert.False(finished.IsActive);
        Assert.Null(finished.NextRun);
        Assert.Equal(2, finished.RunCount);
        Assert.Equal([first, second], runs.Select(r => r.ScheduledFor));
        Assert.All(runs, r => Assert.Equal("completed", r.Status));

        // An inactive schedule is not claimed even when its next run is (wrongly) in the past.
        await scenario.ExecuteAsync("UPDATE radiant.scheduled_prompts SET next_run = now() - interval '1 minute' WHERE id = @id", ("id", schedule.Id));
        await scenario.NotifyWorkersAsync();
        Assert.True(await Poll.HoldsForAsync(async () => (await scenario.RunsAsync(schedule.Id)).Count == 2, TimeSpan.FromSeconds(1.5)));
        Assert.Equal(2, peer.RequestCount);
    }

    [Fact]
    public async Task An_interval_schedule_advanced_by_the_claim_gets_the_next_run_ScheduleTiming_computes()
    {
        // The claim advances the schedule to the occurrence ScheduleTiming computes after the later of the due time and
        // the claim's now, to the microsecond, for an anchor that is not on a whole minute and a window missed by hours
        // (one run, then the next tick after now). It held the SQL version of the rule to this while the claim had one.
        await using var scenario = await SchedulerScenario.StartAsync(server, "interval_sql_next");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        await scenario.StartWorkerAsync("w1", peer);
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("every 7 minutes", "Report", SchedulerScenario.Model, ScheduleType.Interval)
            {
                IntervalMinutes = 7,
                RunAt = DateTimeOffset.UtcNow.AddHours(1),
            }, Ct);
        var anchor = await scenario.ScalarAsync<DateTimeOffset>(
            "UPDATE radiant.scheduled_prompts SET run_at = now() - interval '5 hours 17.123457 seconds' WHERE id = @id RETURNING run_at",
            ("id", schedule.Id));

        var due = await scenario.MakeDueAsync(schedule.Id, "now() - interval '2 hours 3 minutes'");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        var after = await scenario.Schedules.GetAsync(caller, schedule.Id, Ct);
        var claimedAt = run.StartedAt ?? throw new InvalidOperationException("A finished run has its start.");
        var expected = new ScheduleTiming(ScheduleType.Interval, null, anchor, 7, "UTC").NextOccurrence(due > claimedAt ? due : claimedAt);
        Assert.Equal(due, run.ScheduledFor);
        Assert.Equal(expected, after.NextRun);
        Assert.True(after.NextRun > claimedAt);
        Assert.True(after.IsActive);
        Assert.Equal(1, after.RunCount);
    }

    [Fact]
    public async Task A_paused_cron_runs_nothing_until_resumed_and_does_not_replay_the_paused_occurrences()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "pause");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        await scenario.StartWorkerAsync("w1", peer);
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("ticker", "Tick", SchedulerScenario.Model, ScheduleType.Cron) { CronExpression = EverySecond }, Ct);
        await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.Count >= 2, "two runs before the pause");

        var paused = await scenario.Schedules.PauseAsync(caller, schedule.Id, Ct);
        var pausedAt = DateTimeOffset.UtcNow;
        Assert.False(paused.IsActive);
        Assert.Null(paused.NextRun);
        // The pause locks the schedule, so every claim made before it is already recorded: the count is final.
        var atPause = (await scenario.RunsAsync(schedule.Id)).Count;
        Assert.True(await Poll.HoldsForAsync(async () => (await scenario.RunsAsync(schedule.Id)).Count == atPause, TimeSpan.FromSeconds(2.5)),
            "a run was recorded while the schedule was paused");

        var resuming = DateTimeOffset.UtcNow;
        var resumed = await scenario.Schedules.ResumeAsync(caller, schedule.Id, Ct);
        Assert.True(resumed.IsActive);
        Assert.NotNull(resumed.NextRun);
        Assert.True(resumed.NextRun > resuming, $"next run {resumed.NextRun:O} is not after the resume at {resuming:O}");
        var runs = await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.Count >= atPause + 2, "two runs after the resume");
        await scenario.Schedules.PauseAsync(caller, schedule.Id, Ct);

        var afterResume = runs.Skip(atPause).ToList();
        Assert.Equal(resumed.NextRun, afterResume[0].ScheduledFor);
        Assert.All(afterResume, r => Assert.True(r.ScheduledFor > resuming, $"run for {r.ScheduledFor:O} replays the paused window (resumed at {resuming:O})"));
        Assert.DoesNotContain(runs, r => r.ScheduledFor > pausedAt && r.ScheduledFor < resuming);
    }

    [Fact]
    public async Task A_cron_whose_next_run_is_an_hour_late_runs_once_for_the_missed_window_then_resumes_from_now()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "missed");
        var caller = await scenario.NewUserAsync();
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("ticker", "Tick", SchedulerScenario.Model, ScheduleType.Cron) { CronExpression = EverySecond }, Ct);
        // No worker was running for an hour: 3,600 occurrences missed.
        var missed = await scenario.MakeDueAsync(schedule.Id, "date_trunc('second', now()) - interval '1 hour'");

        var peer = await scenario.StartPeerAsync("model");
        var workerStarted = DateTimeOffset.UtcNow;
        await scenario.StartWorkerAsync("w1", peer);
        var runs = await Poll.ForAsync(() => scenario.RunsAsync(schedule.Id), r => r.Count >= 3, "three runs");
        await scenario.Schedules.PauseAsync(caller, schedule.Id, Ct);

        Assert.Equal(missed, runs[0].ScheduledFor);
        Assert.Single(runs, r => r.ScheduledFor < workerStarted);
        // The next occurrence was computed from the claim, not from the missed instant: no catch-up burst.
        Assert.NotNull(runs[0].StartedAt);
        Assert.All(runs.Skip(1), r => Assert.True(r.ScheduledFor > runs[0].StartedAt, $"run for {r.ScheduledFor:O} replays the missed window"));
        Assert.Equal(runs.Count, runs.Select(r => r.ScheduledFor).Distinct().Count());
    }
}
