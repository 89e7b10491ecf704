using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Tests.Http;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Faults;

/// <summary>
/// The database stops (cleanly, or crashing) under traffic and comes back: meanwhile every request answers 503 with
/// Retry-After and none 500; after it the API serves within a second and the scheduler starts the runs that fell due
/// within two, each exactly once; <c>/health</c> says Unhealthy while the database is away and Healthy once it is back.
/// Default worker settings throughout (a 5 s poll interval): recovery comes from capped, reset backoff, not from polling.
/// </summary>
public sealed class DatabaseOutageTests(FaultCluster cluster) : IClassFixture<FaultCluster>
{
    private static readonly TimeSpan ApiRecovery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SchedulerRecovery = TimeSpan.FromSeconds(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 4)]
    public async Task Requests_during_an_outage_answer_503_and_after_it_the_api_and_the_scheduler_are_back_within_seconds(bool crash, int outageSeconds)
    {
        var connectionString = await cluster.CreateDatabaseAsync(crash ? "outage_crash" : "outage_stop");
        var chat = new RecordingChatClient();
        await using var api = await FaultApi.StartAsync(connectionString, radiant =>
        {
            radiant.AddScheduler().AddSchedulerWorker(o => o.WorkerId = "w1");
            radiant.Services.AddKeyedChatClient("openai", chat);
        });
        var caller = RadiantApi.NewUser();
        var schedules = await CreateSchedulesAsync(api.As(caller), count: 4);
        using var anonymous = api.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", Ct)).StatusCode);

        await using var traffic = Traffic.Start([.. Enumerable.Range(0, 4).Select(_ => api.As(caller))], TimeSpan.FromMilliseconds(40));
        // Due three seconds into the outage: the worker's claims fail until the database is back.
        // Flushed at once: the test cluster commits asynchronously, and a crash would lose it.
        await ExecuteAsync(connectionString, "SET synchronous_commit = on; UPDATE radiant.scheduled_prompts SET next_run = now() + interval '3 seconds'; SELECT pg_notify('radiant_schedules', '')");

        await cluster.StopAsync(crash);
        var stoppedAt = Stopwatch.GetTimestamp();
        Assert.True(
            await Poll.UntilAsync(async () => (await anonymous.GetAsync("/health", Ct)).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10)),
            "/health did not report the database away");
        await Task.Delay(TimeSpan.FromSeconds(outageSeconds) - Stopwatch.GetElapsedTime(stoppedAt), Ct); // the outage itself, not a wait for a condition
        var back = await cluster.StartAgainAsync();

        // The API: the first request served after the database came back, and none refused once a second had passed.
        var served = await Poll.ForAsync(
            () => Task.FromResult(traffic.Answers.Where(a => a.Started >= back && a.Served).ToList()),
            s => s.Count > 0,
            "a request served after the restart");
        var apiRecovery = Stopwatch.GetElapsedTime(back, served.Min(a => a.Ended));

        // The scheduler: every run that fell due during the outage, started and recorded.
        var runs = await Poll.ForAsync(() => RunsAsync(connectionString), r => r.Count == schedules.Count && r.All(x => x.Status == "completed"), "every due run completed");
        var firstRun = chat.Calls.Min(c => c.At);
        var schedulerRecovery = Stopwatch.GetElapsedTime(back, firstRun);
        Assert.True(
            await Poll.UntilAsync(async () => (await anonymous.GetAsync("/health", Ct)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10)),
            "/health did not report Healthy again");
        await Task.Delay(ApiRecovery, Ct); // a second of traffic after recovery, to check nothing is refused any more
        await traffic.StopAsync();

        var answers = traffic.Answers;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(crash ? "crash" : "stop")} for {outageSeconds} s: {answers.Count} answers ({answers.Count(a => a.Served)} served, {answers.Count(a => a.Status == HttpStatusCode.ServiceUnavailable)} 503); API back after {apiRecovery.TotalMilliseconds:0} ms, first run after {schedulerRecovery.TotalMilliseconds:0} ms"));
        Assert.All(answers, a => Assert.True(a.Served || a.Status == HttpStatusCode.ServiceUnavailable, $"answered {a}"));
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.ServiceUnavailable), a => Assert.True(a.RetryAfter > TimeSpan.Zero, $"503 without Retry-After: {a}"));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable);
        Assert.True(apiRecovery <= ApiRecovery, $"the API served again {apiRecovery.TotalMilliseconds:0} ms after the database");
        Assert.All(answers.Where(a => Stopwatch.GetElapsedTime(back, a.Started) > ApiRecovery), a => Assert.True(a.Served, $"refused a second after recovery: {a}"));
        Assert.True(schedulerRecovery <= SchedulerRecovery, $"the first due run started {schedulerRecovery.TotalMilliseconds:0} ms after the database");

        // Exactly once: one run per schedule, and the model called once per run.
        Assert.Equal(schedules.Order(), runs.Select(r => r.ScheduleId).Order());
        Assert.Equal(runs.Select(r => r.RunId).Order(), chat.Calls.Select(c => c.RunId).Order());
    }

    [Fact]
    public async Task Terminating_every_backend_again_and_again_under_traffic_never_answers_500_and_runs_each_due_run_once()
    {
        var connectionString = await cluster.CreateDatabaseAsync("outage_kills");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        var chat = new RecordingChatClient();
        await using var api = await FaultApi.StartAsync(connectionString, radiant =>
        {
            // A claim cut off while committing leaves its runs leased to nobody until the lease expires: keep it short.
            radiant.AddScheduler().AddSchedulerWorker(o =>
            {
                o.WorkerId = "w1";
                o.LeaseDuration = TimeSpan.FromSeconds(4);
                o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            });
            radiant.Services.AddKeyedChatClient("openai", chat);
        });
        var caller = RadiantApi.NewUser();
        var schedules = await CreateSchedulesAsync(api.As(caller), count: 6);

        await using (var traffic = Traffic.Start([.. Enumerable.Range(0, 4).Select(_ => api.As(caller))], TimeSpan.FromMilliseconds(20)))
        {
            // Due one after another while every connection keeps being cut.
            await ExecuteAsync(connectionString, "UPDATE radiant.scheduled_prompts SET next_run = now() + (interval '400 milliseconds' * (1 + random() * 5)); SELECT pg_notify('radiant_schedules', '')");
            var killed = 0L;
            for (var round = 0; round < 20; round++)
            {
                killed += await cluster.TerminateBackendsAsync(database);
                await Task.Delay(150, Ct); // the spacing of the drops, not a wait for a condition
            }

            await traffic.StopAsync();
            var answers = traffic.Answers;
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{killed} backends terminated in 20 rounds: {answers.Count} answers, {answers.Count(a => a.Served)} served, {answers.Count(a => a.Status == HttpStatusCode.ServiceUnavailable)} 503"));
            Assert.All(answers, a => Assert.True(a.Served || a.Status == HttpStatusCode.ServiceUnavailable, $"answered {a}"));
            Assert.All(answers.Where(a => !a.Served), a => Assert.True(a.RetryAfter > TimeSpan.Zero, $"503 without Retry-After: {a}"));
        }

        var runs = await Poll.ForAsync(() => RunsAsync(connectionString), r => r.Count == schedules.Count && r.All(x => x.Status == "completed"), "every due run completed");
        Assert.Equal(schedules.Order(), runs.Select(r => r.ScheduleId).Order());
        Assert.Equal(runs.Select(r => r.RunId).Order(), chat.Calls.Select(c => c.RunId).Order());
    }

    internal static async Task<List<Guid>> CreateSchedulesAsync(HttpClient client, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var created = await client.PostAsJsonAsync("/api/schedules", new
            {
                name = $"Digest {i}",
                prompt = "Summarise the day",
                model = "gpt-4o",
                type = "once",
                runAt = DateTimeOffset.UtcNow.AddHours(1),
            }, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            ids.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid());
        }

        return ids;
    }

    internal static async Task<List<(Guid ScheduleId, Guid RunId, string Status)>> RunsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT prompt_id, id, status FROM radiant.scheduled_prompt_runs", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var runs = new List<(Guid, Guid, string)>();
        while (await reader.ReadAsync(Ct))
        {
            runs.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
        }

        return runs;
    }

    internal static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
