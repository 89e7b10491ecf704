using Npgsql;
using Radiant.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>
/// What must not make the worker lose or repeat a run: model output PostgreSQL cannot store as is, a time zone the
/// worker's machine does not know, a stop during delivery, a failure before any model call, and a crowd of runs of a
/// tenant newer than the worker's prices.
/// </summary>
public sealed class RobustnessTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Output_with_nul_characters_is_recorded_without_them_and_does_not_fail_the_other_runs_of_its_batch()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "nul_output");
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = r => new PeerReply.Answer(r.Prompt == "poison" ? "before\0after\0" : $"clean answer to {r.Prompt}");
        var callers = new[] { await scenario.NewUserAsync(), await scenario.NewUserAsync() };
        var schedules = new List<ScheduledPrompt>();
        foreach (var prompt in new[] { "poison", "first", "second" })
        {
            foreach (var caller in callers)
            {
                schedules.Add(await scenario.Schedules.CreateAsync(caller,
                    new ScheduleCreate(prompt, prompt, SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct));
            }
        }

        // All due at once, so they are claimed and recorded together.
        await scenario.ExecuteAsync("UPDATE radiant.scheduled_prompts SET run_at = now(), next_run = now()");
        await scenario.StartWorkerAsync("w1", peer);

        var runs = await Poll.ForAsync(() => scenario.RunsAsync(), r => r.Count == schedules.Count && r.All(x => x.IsFinished), $"{schedules.Count} finished runs");

        Assert.All(runs, r => Assert.Equal("completed", r.Status));
        Assert.All(runs, r => Assert.Equal(1, r.Claims));
        var byPrompt = runs.ToLookup(r => schedules.Single(s => s.Id == r.ScheduleId).Prompt);
        Assert.All(byPrompt["poison"], r => Assert.Equal("beforeafter", r.Output));
        Assert.All(byPrompt["first"], r => Assert.Equal("clean answer to first", r.Output));
        Assert.Equal(schedules.Count, peer.RequestCount);
    }

    [Fact]
    public async Task An_occurrence_whose_time_zone_the_worker_does_not_know_is_postponed_not_run_and_the_schedule_stays_active()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "unknown_zone");
        var peer = await scenario.StartPeerAsync("model");
        var caller = await scenario.NewUserAsync();
        var schedule = await scenario.Schedules.CreateAsync(caller,
            new ScheduleCreate("daily", "Good morning", SchedulerScenario.Model, ScheduleType.Cron) { CronExpression = "0 9 * * *", Timezone = "Europe/Paris" }, Ct);
        // As if the API host knew a zone that this worker's time zone database lacks.
        await scenario.ExecuteAsync(
            "UPDATE radiant.scheduled_prompts SET timezone = 'Mars/Olympus_Mons', next_run = now() WHERE id = @id", ("id", schedule.Id));
        await scenario.StartWorkerAsync("w1", peer);
        await scenario.NotifyWorkersAsync();

        var postponedBy = await Poll.ForAsync(
            () => scenario.ScalarAsync<double>("SELECT extract(epoch FROM next_run - now())::float8 FROM radiant.scheduled_prompts WHERE id = @id", ("id", schedule.Id)),
            seconds => seconds > 30,
            "the occurrence postponed");

        Assert.InRange(postponedBy, 30, 60);
        Assert.Empty(await scenario.RunsAsync(schedule.Id));
        Assert.Equal(0, peer.RequestCount);
        var after = await scenario.Schedules.GetAsync(caller, schedule.Id, Ct);
        Assert.True(after.IsActive);
        Assert.Equal(0, after.RunCount);
        Assert.Contains(scenario.Log.Lines, l => l.Contains("Mars/Olympus_Mons", StringComparison.Ordinal) && l.Contains("tzdata", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_stopped_while_delivering_records_the_answered_run_with_its_delivery_failed_instead_of_running_it_again()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "stop_delivery");
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("answered once");
        var receiver = await scenario.StartWebhookReceiverAsync();
        receiver.Script = _ => 0; // hangs
        var caller = await scenario.NewUserAsync();
        var worker = await scenario.StartWorkerAsync("w1", peer, o => o.WebhookTimeout = TimeSpan.FromMinutes(5));

        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "hook", "Tell the hook",
            c => c with { OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url });
        Assert.True(await Poll.UntilAsync(() => receiver.Deliveries.Count == 1), "the webhook was not called");
        await worker.StopAsync();

        var run = Assert.Single(await scenario.RunsAsync(schedule.Id));
        Assert.Equal("completed", run.Status);
        Assert.Equal("answered once", run.Output);
        Assert.Equal("failed", run.DeliveryStatus);
        Assert.Contains("stopped during delivery", run.DeliveryError, StringComparison.Ordinal);
        Assert.Equal(1, run.Claims);
        Assert.Equal(1, peer.RequestCount);
    }

    [Fact]
    public async Task A_run_whose_provider_has_no_chat_client_fails_and_its_failure_reaches_the_webhook()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "no_client");
        var peer = await scenario.StartPeerAsync("openai only");
        var receiver = await scenario.StartWebhookReceiverAsync();
        var caller = await scenario.NewUserAsync();
        await scenario.StartWorkerAsync("w1", peer);

        // The worker host registers a chat client for "openai" only; this model is Anthropic's.
        var (schedule, _) = await scenario.CreateDueOnceAsync(caller, "hook", "Hello Claude",
            c => c with { Model = "claude-4-sonnet", OutputDestination = OutputDestination.Webhook, WebhookUrl = receiver.Url },
            beforeDue: s => receiver.Secret = s.WebhookSecret);

        var run = await scenario.FinishedRunAsync(schedule.Id);

        Assert.Equal("failed", run.Status);
        Assert.Contains("No chat client is registered for provider 'anthropic'", run.Error, StringComparison.Ordinal);
        Assert.Equal("delivered", run.DeliveryStatus);
        var delivery = Assert.Single(receiver.Deliveries);
        Assert.True(delivery.SignatureValid);
        Assert.Equal("scheduled_prompt.run.failed", delivery.Event);
        Assert.Equal(0, peer.RequestCount);
    }

    [Fact]
    public async Task Twenty_runs_of_a_tenant_newer_than_the_workers_prices_are_all_priced_once_the_reload_can_run()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "unpriced_many");
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("priced?", PromptTokens: 1000, CompletionTokens: 1000);
        var worker = await scenario.StartWorkerAsync("w1", peer, o => o.MaxConcurrentRuns = 20);

        RadiantCaller caller;
        var schedules = new List<ScheduledPrompt>();
        await using (var blocker = new NpgsqlConnection(scenario.ConnectionString))
        {
            // Holding a table the snapshot reads keeps every reload waiting, so all twenty runs miss the new tenant.
            await blocker.OpenAsync(Ct);
            await using var hold = await blocker.BeginTransactionAsync(Ct);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE radiant.tenant_base_prices IN ACCESS EXCLUSIVE MODE", blocker, hold))
            {
                await lockTable.ExecuteNonQueryAsync(Ct);
            }

            caller = await scenario.NewUserAsync();
            for (var i = 0; i < 20; i++)
            {
                var schedule = await scenario.Schedules.CreateAsync(caller,
                    new ScheduleCreate($"s{i}", $"prompt {i}", SchedulerScenario.Model, ScheduleType.Once) { RunAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct);
                await scenario.Schedules.RunNowAsync(caller, schedule.Id, Ct);
                schedules.Add(schedule);
            }

            Assert.True(await Poll.UntilAsync(() => peer.RequestCount == 20), "the model was not called 20 times");
            Assert.False(worker.Pricing.TryQuote(caller.TenantId, SchedulerScenario.Model, 1, 1, out _), "precondition: the worker's snapshot lacks the new tenant");
            await hold.RollbackAsync(Ct);
        }

        var runs = await Poll.ForAsync(() => scenario.RunsAsync(), r => r.Count == 20 && r.All(x => x.IsFinished), "20 finished runs");
        // The scenario host's own engine reloads on its own schedule (its first reload waited on the lock too).
        Assert.True(await Poll.UntilAsync(() => scenario.Pricing.TryQuote(caller.TenantId, SchedulerScenario.Model, 1000, 1000, out _)), "the tenant has a price");
        var quote = scenario.Pricing.Quote(caller.TenantId, SchedulerScenario.Model, 1000, 1000);
        Assert.All(runs, r => Assert.Equal("completed", r.Status));
        Assert.All(runs, r => Assert.True(r.Cost == quote.Charge, $"run {r.Id}: cost {r.Cost}, expected {quote.Charge}"));
    }
}
