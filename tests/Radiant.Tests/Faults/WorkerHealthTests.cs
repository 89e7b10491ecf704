using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Radiant.Postgres.Health;
using Radiant.Tests.Http;
using Radiant.Tests.Infrastructure;
using Radiant.Tests.Scheduling.Worker;

namespace Radiant.Tests.Faults;

/// <summary>
/// <c>/health</c> knows the workers: one that has not completed a cycle within its allowance (twice its interval plus
/// slack; for on-demand work, failing for longer than the slack) makes the host Degraded, naming it, since when and why.
/// </summary>
public sealed class WorkerHealthTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void A_periodic_worker_is_late_after_twice_its_interval_plus_slack_and_on_time_again_after_a_cycle()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var health = new WorkerHealth(clock);
        using var worker = health.Track("scheduler worker w1 (claims)", TimeSpan.FromSeconds(5));

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.False(Assert.Single(health.Read()).Late);
        worker.Failed(new TimeoutException("no answer"));
        clock.Advance(TimeSpan.FromSeconds(1));

        var late = Assert.Single(health.Read());
        Assert.True(late.Late);
        var reason = late.Describe(clock.GetUtcNow());
        Assert.Contains("scheduler worker w1 (claims) has not completed a cycle since 2026-12-01T10:00:00", reason, StringComparison.Ordinal);
        Assert.Contains("(21 s; expected every 5 s)", reason, StringComparison.Ordinal);
        Assert.Contains("last error: TimeoutException: no answer", reason, StringComparison.Ordinal);

        worker.Completed();
        Assert.False(Assert.Single(health.Read()).Late);
        Assert.Null(Assert.Single(health.Read()).LastError);
    }

    [Fact]
    public void An_on_demand_worker_is_late_only_while_failing_for_longer_than_the_slack()
    {
        var clock = new FakeTimeProvider();
        var health = new WorkerHealth(clock);
        var listener = health.Track("notification listener", interval: null);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.False(Assert.Single(health.Read()).Late); // idle and connected is fine however long
        listener.Failed(new NpgsqlException("gone"));
        clock.Advance(WorkerHealth.Slack);
        Assert.False(Assert.Single(health.Read()).Late);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("notification listener has been failing since", Assert.Single(health.Read(), s => s.Late).Describe(clock.GetUtcNow()), StringComparison.Ordinal);

        listener.Dispose();
        Assert.Empty(health.Read()); // a stopped worker is no longer reported
    }

    [Fact]
    public async Task A_scheduler_worker_stuck_on_a_lock_makes_the_host_degraded_with_the_reason_and_healthy_once_it_moves()
    {
        var connectionString = await server.CreateDatabaseAsync("fault_health", Ct);
        await using var api = await FaultApi.StartAsync(connectionString, radiant =>
        {
            radiant.AddScheduler().AddSchedulerWorker(o =>
            {
                o.WorkerId = "w1";
                o.PollInterval = TimeSpan.FromSeconds(1);
            });
            radiant.Services.AddKeyedChatClient("openai", new RecordingChatClient());
        });
        using var anonymous = api.Anonymous();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(api)).Status);

        await using (var owner = new NpgsqlConnection(connectionString))
        {
            // Every claim waits for this lock: the database answers, the worker completes nothing.
            await owner.OpenAsync(Ct);
            await using var hold = await owner.BeginTransactionAsync(Ct);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE radiant.scheduled_prompts IN ACCESS EXCLUSIVE MODE", owner, hold))
            {
                await lockTable.ExecuteNonQueryAsync(Ct);
            }

            var degraded = await Poll.ForAsync(() => CheckAsync(api), r => r.Status == HealthStatus.Degraded, "Degraded", TimeSpan.FromSeconds(30));
            Assert.Contains("scheduler worker w1 (claims) has not completed a cycle since", degraded.Description, StringComparison.Ordinal);
            Assert.Contains("expected every 1 s", degraded.Description, StringComparison.Ordinal);
            Assert.Equal("Degraded", await anonymous.GetStringAsync("/health", Ct));
            await hold.RollbackAsync(Ct);
        }

        await Poll.ForAsync(() => CheckAsync(api), r => r.Status == HealthStatus.Healthy, "Healthy again", TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", Ct)).StatusCode);
    }

    private static async Task<HealthReportEntry> CheckAsync(FaultApi api) =>
        (await api.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct)).Entries[RadiantPostgresBuilderExtensions.HealthCheckName];
}
