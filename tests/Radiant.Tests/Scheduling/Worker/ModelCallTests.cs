using Npgsql;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>
/// How a run's model call behaves against a real OpenAI-protocol peer over HTTP: transient failures retried by the
/// worker's policy, permanent ones not, usage priced by the pricing engine.
/// </summary>
public sealed class ModelCallTests(PostgresServer server)
{
    [Fact]
    public async Task Two_503s_then_an_answer_complete_the_run_with_three_attempts_and_the_usage_priced()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "retry");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("flaky");
        peer.Script = r => r.Number <= 2 ? new PeerReply.Fail(503, "overloaded") : new PeerReply.Answer("the third time", PromptTokens: 1234, CompletionTokens: 567);
        await scenario.StartWorkerAsync("w1", peer, o =>
        {
            o.MaxAttempts = 3;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        });

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "retry", "Summarise the news");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal(3, run.Attempts);
        Assert.Equal(3, peer.RequestCount);
        Assert.All(peer.Requests, r => Assert.Equal("Summarise the news", r.Prompt));
        Assert.Equal("the third time", run.Output);
        Assert.Null(run.Error);
        Assert.Equal(1234, run.InputTokens);
        Assert.Equal(567, run.OutputTokens);
        var expected = scenario.Pricing.Quote(caller.TenantId, SchedulerScenario.Model, 1234, 567).Charge;
        Assert.True(expected > 0m);
        Assert.Equal(expected, run.Cost);

        // The same through the service, as the tenant sees it.
        var seen = Assert.Single((await scenario.Schedules.ListRunsAsync(caller, schedule.Id, new Radiant.Common.PageRequest(Limit: 50), TestContext.Current.CancellationToken)).Items);
        Assert.Equal(3, seen.Attempts);
        Assert.Equal(expected, seen.Cost);
        Assert.Equal(1234 + 567, seen.TokensUsed);
    }

    [Fact]
    public async Task A_400_from_the_model_fails_the_run_after_one_attempt_with_the_error_recorded()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "perm");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("strict");
        peer.Script = _ => new PeerReply.Fail(400, "This prompt is not allowed");
        await scenario.StartWorkerAsync("w1", peer, o => o.MaxAttempts = 3);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "refused", "Do something forbidden");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.Equal(1, run.Attempts);
        Assert.Equal(1, peer.RequestCount);
        Assert.NotNull(run.Error);
        Assert.Contains("This prompt is not allowed", run.Error, StringComparison.Ordinal);
        Assert.Contains("400", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Gave up", run.Error, StringComparison.Ordinal);
        Assert.Null(run.Output);
        Assert.Null(run.Cost);
    }

    [Fact]
    public async Task Transient_failures_beyond_max_attempts_fail_the_run_with_attempts_equal_to_max_attempts()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "exhaust");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("down");
        peer.Script = _ => new PeerReply.Fail(503, "still overloaded");
        await scenario.StartWorkerAsync("w1", peer, o => o.MaxAttempts = 4);

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "exhausted", "Try hard");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.Equal(4, run.Attempts);
        Assert.Equal(4, peer.RequestCount);
        Assert.NotNull(run.Error);
        Assert.StartsWith("Gave up after 4 attempt(s)", run.Error, StringComparison.Ordinal);
        Assert.Contains("503", run.Error, StringComparison.Ordinal);
        Assert.Null(run.Output);
    }

    [Fact]
    public async Task A_model_call_that_hangs_past_the_attempt_timeout_is_retried_then_fails_as_timed_out()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "hang");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("silent");
        peer.Script = _ => new PeerReply.Hang();
        await scenario.StartWorkerAsync("w1", peer, o =>
        {
            o.MaxAttempts = 2;
            // Long enough for each request to reach the peer on a loaded machine (1 s was not: a second attempt once
            // timed out before its request arrived, and the peer counted 1 request).
            o.AttemptTimeout = TimeSpan.FromSeconds(3);
        });

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "silence", "Say something");
        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.Equal(2, run.Attempts);
        Assert.Equal(2, peer.RequestCount);
        Assert.NotNull(run.Error);
        Assert.StartsWith("Gave up after 2 attempt(s)", run.Error, StringComparison.Ordinal);
        Assert.Contains("Timeout", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_of_a_tenant_missing_from_the_workers_pricing_snapshot_is_still_priced()
    {
        // A tenant that signs up and runs a prompt at once can beat the worker's pricing reload (seen with the service
        // calls alone, EnsureUser → Create → RunNow: about 1 run in 10 left without a cost). Holding the reload back
        // makes that race certain: the snapshot cannot load while this transaction locks one of the tables it reads.
        // Until PromptExecutor refreshes the engine on a miss (IPricingEngine.RefreshAsync), this test fails.
        await using var scenario = await SchedulerScenario.StartAsync(server, "unpriced");
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("priced?", PromptTokens: 1000, CompletionTokens: 1000);
        var worker = await scenario.StartWorkerAsync("w1", peer);
        var ct = TestContext.Current.CancellationToken;

        RadiantCaller caller;
        ScheduledPrompt schedule;
        await using (var blocker = new NpgsqlConnection(scenario.ConnectionString))
        {
            await blocker.OpenAsync(ct);
            await using var hold = await blocker.BeginTransactionAsync(ct);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE radiant.tenant_base_prices IN ACCESS EXCLUSIVE MODE", blocker, hold))
            {
                await lockTable.ExecuteNonQueryAsync(ct);
            }

            caller = await scenario.NewUserAsync();
            schedule = await scenario.Schedules.CreateAsync(caller,
                new ScheduleCreate("first day", "Welcome me", SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, ct);
            await scenario.Schedules.RunNowAsync(caller, schedule.Id, ct);
            Assert.True(await Poll.UntilAsync(() => peer.RequestCount == 1), "the model was not called");
            Assert.False(worker.Pricing.TryQuote(caller.TenantId, SchedulerScenario.Model, 1, 1, out _), "precondition: the worker's snapshot lacks the new tenant");
            await hold.RollbackAsync(ct);
        }

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("completed", run.Status);
        Assert.Equal(1000, run.InputTokens);
        var expected = (await Poll.ForAsync(
            () => Task.FromResult(scenario.Pricing.TryQuote(caller.TenantId, SchedulerScenario.Model, 1000, 1000, out var quote) ? quote.Charge : (decimal?)null),
            c => c is not null,
            "the tenant's price")) ?? 0m;
        Assert.True(run.Cost == expected, $"the run's cost is {run.Cost?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "empty"}; the tenant's price for its usage is {expected}");
    }
}
