using System.Diagnostics;
using System.Globalization;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Several worker hosts over one database: every occurrence runs exactly once, and the work is shared.</summary>
public sealed class MultiWorkerTests(PostgresServer server)
{
    private const int OncePerTenant = 80;
    private const int CronSchedules = 6;
    private const int CronRuns = 3;
    private const int IntervalSchedules = 6;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_due_occurrence_runs_exactly_once_across_workers_and_more_than_one_worker_shares_the_work(int workerCount)
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, $"multi{workerCount}");
        var callers = new List<RadiantCaller>();
        for (var t = 0; t < 3; t++)
        {
            callers.Add(await scenario.NewUserAsync());
        }

        // Each worker host has a peer of its own, so the requests each one sent are counted where they arrived.
        var peers = new List<ChatPeer>();
        var workers = new List<WorkerInstance>();
        for (var w = 0; w < workerCount; w++)
        {
            var peer = await scenario.StartPeerAsync($"peer{w}");
            peer.Latency = TimeSpan.FromMilliseconds(10);
            peers.Add(peer);
            workers.Add(await scenario.StartWorkerAsync($"w{w}", peer, o =>
            {
                o.BatchSize = 20;
                o.MaxConcurrentRuns = 16;
                o.LeaseDuration = TimeSpan.FromSeconds(20); // no lease may lapse here: every run is claimed once
            }));
        }

        var clock = Stopwatch.StartNew();
        // Once schedules (created an hour ahead, then made due by SQL: half in the last ten minutes, half over the next two seconds).
        var once = new List<ScheduledPrompt>();
        foreach (var (caller, t) in callers.Select((c, t) => (c, t)))
        {
            once.AddRange(await CreateManyAsync(OncePerTenant, i => scenario.Schedules.CreateAsync(caller,
                new ScheduleCreate($"once {t}/{i}", $"once prompt {t}/{i}", SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct)));
        }

        // Schedules that come due while the workers run: every-second crons (3 runs each) and interval schedules.
        var cron = await CreateManyAsync(CronSchedules, i => scenario.Schedules.CreateAsync(callers[i % callers.Count],
            new ScheduleCreate($"cron {i}", $"cron prompt {i}", SchedulerScenario.Model, ScheduleType.Cron) { CronExpression = "*/1 * * * * *", MaxRuns = CronRuns }, Ct));
        var interval = await CreateManyAsync(IntervalSchedules, i => scenario.Schedules.CreateAsync(callers[i % callers.Count],
            new ScheduleCreate($"interval {i}", $"interval prompt {i}", SchedulerScenario.Model, ScheduleType.Interval)
            {
                IntervalMinutes = 1,
                RunAt = DateTimeOffset.UtcNow.AddSeconds(1 + (i % 3)),
            }, Ct));
        await scenario.ExecuteAsync("""
            UPDATE radiant.scheduled_prompts s SET run_at = d.at, next_run = d.at
            FROM (SELECT tenant_id, id,
                         CASE WHEN random() < 0.5 THEN now() - random() * interval '10 minutes' ELSE now() + random() * interval '2 seconds' END AS at
                  FROM radiant.scheduled_prompts WHERE schedule_type = 'once') d
            WHERE s.tenant_id = d.tenant_id AND s.id = d.id
            """);
        await scenario.NotifyWorkersAsync();

        var expectedRuns = once.Count + (CronSchedules * CronRuns) + IntervalSchedules;
        await Poll.ForAsync(
            () => scenario.ScalarAsync<long>("""
                SELECT count(*) FROM radiant.scheduled_prompt_runs WHERE status IN ('completed', 'failed')
                """),
            done => done >= expectedRuns,
            $"{expectedRuns} finished runs",
            TimeSpan.FromSeconds(90));
        var elapsed = clock.Elapsed;
        foreach (var worker in workers)
        {
            await worker.StopAsync();
        }

        var runs = await scenario.RunsAsync();
        var perWorker = peers.Select(p => p.RequestCount).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{workerCount} workers: {runs.Count} runs in {elapsed.TotalSeconds:0.0} s (from the first create), requests per worker: {string.Join(", ", perWorker)}"));

        // Exactly one run per occurrence, all completed, each claimed once.
        Assert.Empty(runs.GroupBy(r => (r.ScheduleId, r.ScheduledFor)).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Equal(expectedRuns, runs.Count);
        Assert.All(runs, r => Assert.Equal("completed", r.Status));
        Assert.All(runs, r => Assert.Equal(1, r.Claims));
        Assert.All(once, s => Assert.Single(runs, r => r.ScheduleId == s.Id));
        Assert.All(cron, s => Assert.Equal(CronRuns, runs.Count(r => r.ScheduleId == s.Id)));
        Assert.All(interval, s => Assert.Equal(s.RunAt, Assert.Single(runs, r => r.ScheduleId == s.Id).ScheduledFor));
        Assert.Equal(runs.Count, await scenario.ScalarAsync<long>("SELECT sum(run_count) FROM radiant.scheduled_prompts"));

        // The peers received exactly one request per run, and each run recorded the answer to its own prompt.
        Assert.Equal(runs.Count, perWorker.Sum());
        var answers = peers.SelectMany(p => p.Answers).ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(runs.Count, answers.Count);
        var prompts = (await scenario.QueryAsync("SELECT id, prompt_text FROM radiant.scheduled_prompts", r => (r.GetGuid(0), r.GetString(1))))
            .ToDictionary(p => p.Item1, p => p.Item2);
        Assert.All(runs, r =>
        {
            Assert.NotNull(r.Output);
            Assert.True(answers.TryGetValue(r.Output, out var request), $"run {r.Id} recorded an answer no peer gave: {r.Output}");
            Assert.Equal(prompts[r.ScheduleId], request.Prompt);
        });
        Assert.Equal(runs.Count, runs.Select(r => r.Output).Distinct().Count());
        Assert.All(runs, r => Assert.True(r.InputTokens == 12 && r.OutputTokens == 34 && r.Cost > 0m, $"run {r.Id} is not priced: {r.InputTokens}/{r.OutputTokens} tokens, cost {r.Cost}"));

        // The work was shared.
        Assert.True(perWorker.Count(n => n > 0) >= 2, $"only one worker did any work: {string.Join(", ", perWorker)}");
    }

    private static async Task<List<ScheduledPrompt>> CreateManyAsync(int count, Func<int, Task<ScheduledPrompt>> create)
    {
        var created = new ScheduledPrompt[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, _) => created[i] = await create(i));
        return [.. created];
    }
}
