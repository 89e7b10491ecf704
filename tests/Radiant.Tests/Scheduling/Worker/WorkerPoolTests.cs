using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>
/// The scheduler prepares its statements on a pool of its own: a request connection never holds a prepared statement
/// that SQL injected into a request could replace and the scheduler would then run in its cross-tenant scope.
/// </summary>
public sealed class WorkerPoolTests(PostgresServer server)
{
    [Fact]
    public async Task After_scheduled_runs_the_request_pool_holds_no_prepared_statement_and_the_worker_pool_does()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "workerpool");
        var caller = await scenario.NewUserAsync();
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = _ => new PeerReply.Answer("done");
        var worker = await scenario.StartWorkerAsync("w1", peer);
        for (var i = 0; i < 3; i++)
        {
            var (schedule, _) = await scenario.CreateDueOnceAsync(caller, $"pool {i}", "Say something");
            Assert.Equal("completed", (await scenario.FinishedRunAsync(schedule.Id)).Status);
        }

        var pools = worker.Services.GetRequiredService<RadiantDataSources>();
        Assert.True(pools.HasWorkerPool);
        // The pools' physical connections at once, each asked what it has prepared (the request pool less the one its
        // listener keeps and one to spare, so nothing waits for a connection).
        var app = await PreparedPerConnectionAsync(pools.App, RadiantDataSources.DefaultMaxPoolSize - 2);
        var scheduler = await PreparedPerConnectionAsync(pools.Worker, RadiantDataSources.WorkerMaxPoolSize);

        Assert.All(app, c => Assert.Equal(0, c.Prepared));
        Assert.All(app, c => Assert.DoesNotContain("(worker)", c.ApplicationName, StringComparison.Ordinal));
        Assert.Contains(scheduler, c => c.Prepared > 0);
        Assert.All(scheduler, c => Assert.EndsWith("(worker)", c.ApplicationName, StringComparison.Ordinal));
    }

    private static async Task<(long Prepared, string ApplicationName)[]> PreparedPerConnectionAsync(NpgsqlDataSource pool, int size)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => pool.OpenConnectionAsync(TestContext.Current.CancellationToken).AsTask()));
        try
        {
            return await Task.WhenAll(connections.Select(async connection =>
            {
                await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM pg_prepared_statements), current_setting('application_name')", connection);
                await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                await reader.ReadAsync(TestContext.Current.CancellationToken);
                return (reader.GetInt64(0), reader.GetString(1));
            }));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
