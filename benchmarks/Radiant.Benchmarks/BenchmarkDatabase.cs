using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Dev;

namespace Radiant.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL cluster with one database, migrated and synced through Radiant's own start-up path
/// (<c>services.AddRadiant().UsePostgres(cs).AddPricing()</c>, then every hosted service started), optionally filled
/// with a <see cref="PricingDataset"/>.
/// </summary>
internal sealed class BenchmarkDatabase : IAsyncDisposable
{
    public const string Schema = "radiant";

    private readonly LocalPostgresServer _server;
    private readonly List<ServiceProvider> _instances = [];

    private BenchmarkDatabase(LocalPostgresServer server, string connectionString)
    {
        _server = server;
        ConnectionString = connectionString;
    }

    /// <summary>The services' connection string (the superuser; every service transaction switches to radiant_app).</summary>
    public string ConnectionString { get; }

    /// <summary>Starts a cluster and creates the database.</summary>
    public static async Task<BenchmarkDatabase> StartAsync(CancellationToken cancellationToken)
    {
        var server = await LocalPostgresServer.StartThrowawayAsync(cancellationToken);
        try
        {
            await using (var admin = new NpgsqlConnection(server.ConnectionString))
            {
                await admin.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand("CREATE DATABASE radiant_bench", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "radiant_bench" };
            return new BenchmarkDatabase(server, builder.ConnectionString);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds a host instance's services and runs Radiant's start-up (migrations, catalogue sync, pricing engine).</summary>
    public async Task<ServiceProvider> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UsePostgres(ConnectionString).AddPricing();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _instances.Add(provider);
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(cancellationToken);
        }

        return provider;
    }

    /// <summary>Writes a data set (as the owner).</summary>
    public async Task SeedAsync(PricingDataset dataset, CancellationToken cancellationToken)
    {
        await using var owner = await OpenOwnerConnectionAsync(cancellationToken);
        await dataset.WriteToDatabaseAsync(owner, Schema, cancellationToken);
    }

    /// <summary>Opens a raw connection as the owner.</summary>
    public async Task<NpgsqlConnection> OpenOwnerConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Stops every instance, then the server (and deletes its files).</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _instances.Count - 1; i >= 0; i--)
        {
            var provider = _instances[i];
            foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await provider.DisposeAsync();
        }

        _instances.Clear();
        NpgsqlConnection.ClearAllPools();
        await _server.DisposeAsync();
    }
}
