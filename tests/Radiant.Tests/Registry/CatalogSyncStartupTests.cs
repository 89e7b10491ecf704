using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Pricing;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Registry;

/// <summary>
/// The built-in catalogue sync is off the start-up path once a catalogue is stored: a host serves (and prices from the
/// stored catalogue) while the sync is held up, and the sync completes after it. A database without a catalogue is
/// synced before the host serves.
/// </summary>
public sealed class CatalogSyncStartupTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IHost Build(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().UseTestPostgres(connectionString).AddPricing();
        return builder.Build();
    }

    private static RadiantStartup Startup(IHost host) => host.Services.GetServices<IHostedService>().OfType<RadiantStartup>().Single();

    [Fact]
    public async Task A_first_start_syncs_before_serving_and_a_later_start_serves_while_the_sync_is_held_up()
    {
        var connectionString = await server.CreateDatabaseAsync("catalog_startup", Ct);
        using (var first = Build(connectionString))
        {
            await first.StartAsync(Ct);
            // Nothing was stored: the sync ran before StartAsync returned.
            Assert.True(Startup(first).BackgroundSync.IsCompleted);
            Assert.Equal(32L, await ScalarAsync(connectionString, "SELECT count(*) FROM radiant.models"));
            await first.StopAsync(Ct);
        }

        // Another session holds the catalogue's rows (as a long sync or migration elsewhere would): writes wait, reads do not.
        await using var blocker = new NpgsqlConnection(connectionString);
        await blocker.OpenAsync(Ct);
        await using var hold = await blocker.BeginTransactionAsync(Ct);
        await using (var lockModels = new NpgsqlCommand("LOCK TABLE radiant.models IN EXCLUSIVE MODE", blocker, hold))
        {
            await lockModels.ExecuteNonQueryAsync(Ct);
        }

        using var second = Build(connectionString);
        using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        startTimeout.CancelAfter(TimeSpan.FromSeconds(30));
        await second.StartAsync(startTimeout.Token);

        var sync = Startup(second).BackgroundSync;
        Assert.False(sync.IsCompleted, "the sync waits for the held rows, after start-up");
        // Serving: a new tenant is provisioned and priced from the stored catalogue meanwhile.
        var caller = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await second.Services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(caller), Ct);
        var engine = second.Services.GetRequiredService<IPricingEngine>();
        await engine.RefreshAsync(Ct);
        Assert.Equal(3.500000m, engine.Quote(caller.TenantId, "gpt-4o", 1_000_000, 0).Charge);

        await hold.RollbackAsync(Ct);
        await sync.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(sync.IsCompletedSuccessfully);
        await second.StopAsync(Ct);
    }

    [Fact]
    public async Task Stopping_the_host_cancels_a_sync_still_waiting_and_does_not_hang()
    {
        var connectionString = await server.CreateDatabaseAsync("catalog_startup_stop", Ct);
        using (var first = Build(connectionString))
        {
            await first.StartAsync(Ct);
            await first.StopAsync(Ct);
        }

        await using var blocker = new NpgsqlConnection(connectionString);
        await blocker.OpenAsync(Ct);
        await using var hold = await blocker.BeginTransactionAsync(Ct);
        await using (var lockModels = new NpgsqlCommand("LOCK TABLE radiant.models IN EXCLUSIVE MODE", blocker, hold))
        {
            await lockModels.ExecuteNonQueryAsync(Ct);
        }

        using var second = Build(connectionString);
        await second.StartAsync(Ct);
        var sync = Startup(second).BackgroundSync;

        await second.StopAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.True(sync.IsCompleted);
        await hold.RollbackAsync(Ct);
        Assert.Equal(32L, await ScalarAsync(connectionString, "SELECT count(*) FROM radiant.models"));
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
