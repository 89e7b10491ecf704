using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>Leases: heartbeats keep a long run with its worker, a stopping worker hands its run back, a poison run is abandoned.</summary>
public sealed class LeaseTests(PostgresServer server)
{
    [Fact]
    public async Task A_model_call_longer_than_the_lease_stays_with_its_worker_because_heartbeats_renew_the_lease()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "heartbeat");
        var caller = await scenario.NewUserAsync();
        var slow = await scenario.StartPeerAsync("slow");
        slow.Latency = TimeSpan.FromSeconds(3);
        var other = await scenario.StartPeerAsync("other");
        static void ShortLease(Radiant.Postgres.Scheduling.SchedulerWorkerOptions o)
        {
            o.LeaseDuration = TimeSpan.FromSeconds(1);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        }

        await scenario.StartWorkerAsync("holder", slow, ShortLease);
        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "slow", "Think for a while");
        Assert.True(await Poll.UntilAsync(() => slow.RequestCount == 1), "the first worker did not call the model");
        // A second worker, eager to take over any lease that lapses.
        await scenario.StartWorkerAsync("taker", other, ShortLease);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal(1, run.Claims);
        Assert.Equal(1, run.Attempts);
        Assert.Equal(1, slow.RequestCount);
        Assert.Equal(0, other.RequestCount);
        Assert.Equal(Assert.Single(slow.Answers).Key, run.Output);
    }

    [Fact]
    public async Task A_worker_stopped_mid_run_hands_the_run_back_and_another_worker_completes_it_without_waiting_for_the_lease()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "handback");
        var caller = await scenario.NewUserAsync();
        var hanging = await scenario.StartPeerAsync("hanging");
        hanging.Script = _ => new PeerReply.Hang();
        var answering = await scenario.StartPeerAsync("answering");
        // Leases far longer than the test: only the hand-back can make the run available again.
        static void LongLease(Radiant.Postgres.Scheduling.SchedulerWorkerOptions o) => o.LeaseDuration = TimeSpan.FromSeconds(60);
        var stopping = await scenario.StartWorkerAsync("stopping", hanging, LongLease);
        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "interrupted", "Take your time");
        Assert.True(await Poll.UntilAsync(() => hanging.RequestCount == 1), "the first worker did not call the model");

        await stopping.StopAsync();

        var handedBack = Assert.Single(await scenario.RunsAsync(schedule.Id));
        Assert.Equal("pending", handedBack.Status);
        Assert.Null(handedBack.LeaseOwner);
        Assert.Equal(1, handedBack.Claims);

        await scenario.StartWorkerAsync("next", answering, LongLease);
        var run = await scenario.FinishedRunAsync(schedule.Id, TimeSpan.FromSeconds(10));

        Assert.Equal("completed", run.Status);
        Assert.Equal(2, run.Claims);
        Assert.Equal(handedBack.Id, run.Id);
        Assert.Equal(1, answering.RequestCount);
        Assert.Equal(Assert.Single(answering.Answers).Key, run.Output);
    }

    [Fact]
    public async Task A_run_claimed_more_than_max_claims_times_is_failed_as_abandoned_without_calling_the_model_again()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "abandon");
        var caller = await scenario.NewUserAsync();
        var hanging = await scenario.StartPeerAsync("hanging");
        hanging.Script = _ => new PeerReply.Hang();
        var answering = await scenario.StartPeerAsync("answering");
        var first = await scenario.StartWorkerAsync("first", hanging, o => o.MaxClaims = 1);
        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "poison", "Crash the worker");
        Assert.True(await Poll.UntilAsync(() => hanging.RequestCount == 1), "the first worker did not call the model");
        await first.StopAsync();

        await scenario.StartWorkerAsync("second", answering, o => o.MaxClaims = 1);
        var run = await scenario.FinishedRunAsync(schedule.Id, TimeSpan.FromSeconds(10));

        Assert.Equal("failed", run.Status);
        Assert.Equal(2, run.Claims);
        Assert.NotNull(run.Error);
        Assert.StartsWith("Abandoned: claimed 2 times", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, answering.RequestCount);
    }
}
