using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Run-now wakes an idle worker through LISTEN/NOTIFY; outcomes are recorded in each run's own tenant.</summary>
public sealed class WakeUpAndTenancyTests(PostgresServer server)
{
    private static readonly TimeSpan PickupBudget = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_now_is_picked_up_by_an_idle_worker_within_seconds_through_notify_not_the_30_second_poll()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "runnow");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        // Neither the poll nor a lease expiry can wake the worker during this test: only a notification can.
        await scenario.StartWorkerAsync("w1", peer, o =>
        {
            o.PollInterval = TimeSpan.FromSeconds(30);
            o.LeaseDuration = TimeSpan.FromSeconds(30);
        });
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("on demand", "Answer now", SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct);

        var latencies = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var requested = await scenario.Schedules.RunNowAsync(caller, schedule.Id, Ct);
            var clock = Stopwatch.StartNew(); // committed (and notified) when the call returns
            Assert.Equal(ScheduleRunStatus.Pending, requested.Status);
            var claimed = await Poll.UntilAsync(async () => (await RunAsync(scenario, requested.Id)).Status != "pending", TimeSpan.FromSeconds(10));
            latencies.Add(clock.Elapsed);
            Assert.True(claimed, $"run-now request {i + 1} was not picked up within 10 s");
            var run = await Poll.ForAsync(() => RunAsync(scenario, requested.Id), r => r.IsFinished, "the run-now run to finish");
            Assert.Equal("completed", run.Status);
            Assert.Equal("manual", run.Trigger);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            "Run-now → claimed: " + string.Join(", ", latencies.Select(l => l.TotalMilliseconds.ToString("0.0 ms", CultureInfo.InvariantCulture))));
        Assert.All(latencies, l => Assert.True(l < PickupBudget, $"picked up after {l.TotalMilliseconds:0} ms"));
        Assert.Equal(5, peer.RequestCount);
        var after = await scenario.Schedules.GetAsync(caller, schedule.Id, Ct);
        Assert.Equal(0, after.RunCount); // run-now does not count towards the schedule's runs
        Assert.Equal(schedule.NextRun, after.NextRun);
    }

    [Fact]
    public async Task Runs_of_two_tenants_are_recorded_each_in_its_own_tenant_and_each_tenant_sees_only_its_own()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "tenants");
        var alice = await scenario.NewUserAsync();
        var bob = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        await scenario.StartWorkerAsync("w1", peer);

        var (aliceSchedule, _) = await scenario.CreateDueOnceAsync(alice, "alice's", "Alice's prompt");
        var (bobSchedule, _) = await scenario.CreateDueOnceAsync(bob, "bob's", "Bob's prompt");
        var aliceRun = await scenario.FinishedRunAsync(aliceSchedule.Id);
        var bobRun = await scenario.FinishedRunAsync(bobSchedule.Id);

        Assert.Equal("completed", aliceRun.Status);
        Assert.Equal("completed", bobRun.Status);
        Assert.Equal(alice.TenantId, aliceRun.TenantId);
        Assert.Equal(bob.TenantId, bobRun.TenantId);
        Assert.Contains("Alice's prompt", aliceRun.Output, StringComparison.Ordinal);
        Assert.Contains("Bob's prompt", bobRun.Output, StringComparison.Ordinal);

        // Through the service: each sees its own run; the other's schedule does not exist for them.
        var seenByAlice = Assert.Single((await scenario.Schedules.ListRunsAsync(alice, aliceSchedule.Id, new PageRequest(Limit: 50), Ct)).Items);
        Assert.Equal(aliceRun.Id, seenByAlice.Id);
        Assert.Equal(aliceRun.Output, seenByAlice.Output);
        var seenByBob = Assert.Single((await scenario.Schedules.ListRunsAsync(bob, bobSchedule.Id, new PageRequest(Limit: 50), Ct)).Items);
        Assert.Equal(bobRun.Id, seenByBob.Id);
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => scenario.Schedules.ListRunsAsync(alice, bobSchedule.Id, new PageRequest(Limit: 50), Ct));
        await Assert.ThrowsAsync<RadiantNotFoundException>(() => scenario.Schedules.GetRunAsync(bob, aliceSchedule.Id, aliceRun.Id, Ct));

        // Under row-level security as the application role: a tenant's transaction reaches only its own run.
        Assert.Equal([aliceRun.Id], await RunIdsAsAppAsync(scenario, alice.TenantId));
        Assert.Equal([bobRun.Id], await RunIdsAsAppAsync(scenario, bob.TenantId));
        Assert.Empty(await RunIdsAsAppAsync(scenario, null));
    }

    private static async Task<RunRecord> RunAsync(SchedulerScenario scenario, Guid runId) =>
        (await scenario.RunsAsync()).Single(r => r.Id == runId);

    private static async Task<List<Guid>> RunIdsAsAppAsync(SchedulerScenario scenario, Guid? tenantId)
    {
        await using var connection = new NpgsqlConnection(scenario.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var transaction = await RawSql.BeginAsAppAsync(connection, tenantId, null);
        await using var command = new NpgsqlCommand("SELECT id FROM radiant.scheduled_prompt_runs", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}
