using System.Diagnostics;
using System.Globalization;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>A worker process killed mid-run (no shutdown, no hand-back): another worker recovers the run, once.</summary>
public sealed class KilledWorkerTests(PostgresServer server)
{
    private static readonly TimeSpan ChildLease = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_run_whose_worker_process_was_killed_is_completed_exactly_once_by_another_worker_after_its_lease_expires()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "killed");
        var caller = await scenario.NewUserAsync();
        var hanging = await scenario.StartPeerAsync("hanging");
        hanging.Script = _ => new PeerReply.Hang();
        var answering = await scenario.StartPeerAsync("answering");
        var (schedule, dueAt) = await scenario.CreateDueOnceAsync(caller, "doomed first try", "Survive a crash");

        var childId = "child-" + Guid.NewGuid().ToString("N")[..8];
        await using var child = ChildWorker.Start(scenario.ConnectionString, hanging.Endpoint, ChildLease, childId);
        try
        {
            // The child claimed the run and is inside the model call.
            var sent = await Poll.UntilAsync(() => hanging.RequestCount >= 1 || child.HasExited, TimeSpan.FromSeconds(60));
            Assert.True(sent && !child.HasExited, $"the child worker did not call the model (exited: {child.HasExited}). Its output:\n{child.Output}");
            var leased = Assert.Single(await scenario.RunsAsync(schedule.Id));
            Assert.Equal("running", leased.Status);
            Assert.Equal(childId, leased.LeaseOwner);
            Assert.Equal(1, leased.Claims);
            Assert.Equal("Survive a crash", Assert.Single(hanging.Requests).Prompt);

            await child.KillAsync();
            var sinceKill = Stopwatch.StartNew();

            await scenario.StartWorkerAsync("rescuer", answering, o =>
            {
                o.LeaseDuration = TimeSpan.FromSeconds(2);
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            });
            var run = await scenario.FinishedRunAsync(schedule.Id);
            var recovery = sinceKill.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Killed worker → run completed by another worker in {recovery.TotalMilliseconds:0} ms (child lease {ChildLease.TotalSeconds:0} s)"));

            Assert.Equal("completed", run.Status);
            Assert.Equal(2, run.Claims);
            Assert.Equal(dueAt, run.ScheduledFor);
            Assert.Null(run.LeaseOwner);
            Assert.Equal(1, answering.RequestCount);
            Assert.Equal(1, hanging.RequestCount);
            Assert.Equal(Assert.Single(answering.Answers).Key, run.Output);
            var after = await scenario.Schedules.GetAsync(caller, schedule.Id, TestContext.Current.CancellationToken);
            Assert.Equal(1, after.RunCount);
            Assert.False(after.IsActive);

            // Nothing runs it again later.
            Assert.True(await Poll.HoldsForAsync(async () => (await scenario.RunsAsync(schedule.Id)) is [{ Status: "completed" }], TimeSpan.FromSeconds(1)));
            Assert.Equal(1, answering.RequestCount);
        }
        finally
        {
            await child.KillAsync();
        }
    }
}
