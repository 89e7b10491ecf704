using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Dev;
using Radiant.Hosting;
using Radiant.Postgres.Hosting;

namespace Radiant.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL cluster with one database, migrated and synced through Radiant's own start-up path
/// (<c>services.AddRadiant().UsePostgres(cs).AddPricing()</c>, then every hosted service started), optionally filled
/// with a <see cref="PricingDataset"/>. Hosts connect as the README's production setup: a service login that is only
/// a member of <c>radiant_app</c>, and an owner login (not a superuser) that migrates and syncs.
/// </summary>
internal sealed class BenchmarkDatabase : IAsyncDisposable
{
    public const string Schema = "radiant";

    private readonly LocalPostgresServer _server;
    private readonly List<ServiceProvider> _instances = [];

    private const string OwnerLogin = "radiant_bench_owner";
    private const string ServiceLogin = "radiant_bench_service";
    private static readonly string Password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private BenchmarkDatabase(LocalPostgresServer server, string connectionString)
    {
        _server = server;
        ConnectionString = connectionString;
        OwnerConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Username = OwnerLogin, Password = Password }.ConnectionString;
        ServiceConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Username = ServiceLogin, Password = Password }.ConnectionString;
    }

    /// <summary>The superuser's connection string, for the benchmarks' own raw SQL.</summary>
    public string ConnectionString { get; }

    /// <summary>The schema owner's login: migrations and the catalogue sync.</summary>
    public string OwnerConnectionString { get; }

    /// <summary>The services' login: a member of radiant_app and nothing more.</summary>
    public string ServiceConnectionString { get; }

    /// <summary><c>UsePostgres</c> with the production logins, then <paramref name="configure"/>.</summary>
    public IRadiantBuilder UsePostgres(IRadiantBuilder radiant, Action<RadiantPostgresOptions>? configure = null) =>
        radiant.UsePostgres(ServiceConnectionString, o =>
        {
            o.MigrationConnectionString = OwnerConnectionString;
            configure?.Invoke(o);
        });

    /// <summary>Starts a cluster and creates the database.</summary>
    public static async Task<BenchmarkDatabase> StartAsync(CancellationToken cancellationToken)
    {
        var server = await LocalPostgresServer.StartThrowawayAsync(cancellationToken);
        try
        {
            await CreateWithLoginsAsync(server, "radiant_bench", Password, cancellationToken);
            var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "radiant_bench" };
            return new BenchmarkDatabase(server, builder.ConnectionString);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates database <paramref name="name"/> on <paramref name="server"/> with the production logins of the README:
    /// <c>{name}_owner</c> owns it (migrations, the catalogue sync) and <c>{name}_service</c> is only a member of
    /// <c>radiant_app</c>. Returns both logins' connection strings.
    /// </summary>
    public static async Task<(string Service, string Owner)> CreateWithLoginsAsync(
        LocalPostgresServer server, string name, string password, CancellationToken cancellationToken)
    {
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var logins = new NpgsqlCommand(
                $"""
                CREATE ROLE radiant_app NOLOGIN;
                CREATE ROLE {name}_owner LOGIN PASSWORD '{password}';
                CREATE ROLE {name}_service LOGIN PASSWORD '{password}' IN ROLE radiant_app;
                """,
                admin);
            await logins.ExecuteNonQueryAsync(cancellationToken);
            // CREATE DATABASE cannot share a batch: the batch is one implicit transaction.
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} OWNER {name}_owner", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var database = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name, Password = password };
        return (
            new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = $"{name}_service" }.ConnectionString,
            new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = $"{name}_owner" }.ConnectionString);
    }

    /// <summary>
    /// Builds a host instance's services — pricing, and whatever <paramref name="features"/> adds — and runs Radiant's
    /// start-up (migrations, catalogue sync, pricing engine).
    /// </summary>
    public async Task<ServiceProvider> StartInstanceAsync(CancellationToken cancellationToken, Action<IRadiantBuilder>? features = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var radiant = UsePostgres(services.AddRadiant()).AddPricing();
        features?.Invoke(radiant);
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
