using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>
/// A worker holds at most <c>MaxConcurrentRuns</c> runs between claim and recorded outcome: when recording is slow it
/// claims less, instead of executing (and paying for) runs that pile up unrecorded and would run again elsewhere if
/// it died.
/// </summary>
public sealed class BackPressureTests(PostgresServer server)
{
    private const int MaxConcurrentRuns = 4;
    private const int Schedules = 24;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task While_recording_is_slow_a_worker_never_holds_more_unrecorded_runs_than_max_concurrent_runs()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "backpressure");
        var peer = await scenario.StartPeerAsync("instant");
        // Recording an outcome takes 50 ms per run; claiming and executing stay instant.
        await scenario.ExecuteAsync("""
            CREATE FUNCTION radiant.test_slow_record() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$;
            CREATE TRIGGER test_slow_record BEFORE UPDATE ON radiant.scheduled_prompt_runs FOR EACH ROW
                WHEN (OLD.status = 'running' AND NEW.status IN ('completed', 'failed')) EXECUTE FUNCTION radiant.test_slow_record();
            """);
        var callers = new[] { await scenario.NewUserAsync(), await scenario.NewUserAsync() };
        var created = new List<ScheduledPrompt>();
        for (var i = 0; i < Schedules; i++)
        {
            created.Add(await scenario.Schedules.CreateAsync(callers[i % callers.Length],
                new ScheduleCreate($"s{i}", $"prompt {i}", SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct));
        }

        await scenario.ExecuteAsync("UPDATE radiant.scheduled_prompts SET run_at = now(), next_run = now()");
        await scenario.StartWorkerAsync("w1", peer, o =>
        {
            o.MaxConcurrentRuns = MaxConcurrentRuns;
            o.BatchSize = MaxConcurrentRuns;
            // Runs wait for the slow recorder while their leases are renewed; the scenario's 2 s lease expired once on
            // a saturated machine (a stalled heartbeat), and the run was claimed again. This test is about the bound.
            o.LeaseDuration = TimeSpan.FromSeconds(15);
        });

        // Runs in status running = claimed and not yet recorded (a completion shows only once it commits).
        var mostHeld = 0L;
        await Poll.ForAsync(
            async () =>
            {
                var counts = await scenario.QueryAsync(
                    "SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'completed') FROM radiant.scheduled_prompt_runs",
                    r => (Running: r.GetInt64(0), Completed: r.GetInt64(1)));
                mostHeld = Math.Max(mostHeld, counts[0].Running);
                return counts[0].Completed;
            },
            completed => completed == Schedules,
            $"{Schedules} completed runs",
            TimeSpan.FromSeconds(60));

        Assert.True(mostHeld <= MaxConcurrentRuns, $"the worker held {mostHeld} unrecorded runs at once; at most {MaxConcurrentRuns} allowed");
        Assert.True(mostHeld > 0, "no run was ever seen between claim and record: the observation saw nothing");
        var runs = await scenario.RunsAsync();
        Assert.Equal(Schedules, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Claims));
        Assert.Equal(Schedules, peer.RequestCount);
    }
}
