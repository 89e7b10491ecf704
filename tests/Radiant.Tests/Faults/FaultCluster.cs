using System.Diagnostics;
using Npgsql;
using Radiant.Dev;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>
/// A PostgreSQL cluster of the test class's own (from the binaries on this machine, like
/// <see cref="PostgresServer.StartSeparateClusterAsync"/>), which its tests stop, start again and whose backends they
/// terminate — so no other test class shares the outage. Tests in one class run one after another.
/// </summary>
public class FaultCluster : IAsyncLifetime
{
    private LocalPostgresServer? _server;

    /// <summary>The server's <c>max_connections</c>.</summary>
    protected virtual int MaxConnections => 100;

    /// <summary>The superuser's connection string to database <c>postgres</c>.</summary>
    public string AdminConnectionString => Server.ConnectionString;

    private LocalPostgresServer Server => _server ?? throw new InvalidOperationException("The fault cluster is not started.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartThrowawayAsync(Ct, MaxConnections);
        await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString);
        await PostgresServer.CreateLoginsAsync(admin, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// A new database on the cluster, owned by <see cref="TestLogins.Owner"/>; the connection string is the superuser's
    /// (for the test's own SQL; hosts connect with <see cref="TestLogins.UseTestPostgres"/>).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string namePrefix)
    {
        var name = PostgresServer.NewDatabaseName(namePrefix);
        await using (var admin = await OpenAdminAsync())
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" OWNER {TestLogins.Owner}", admin);
            await create.ExecuteNonQueryAsync(Ct);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server: <c>fast</c> (clients disconnected, clean shutdown) or, with <paramref name="crash"/>, <c>immediate</c>.</summary>
    public Task StopAsync(bool crash = false) => Server.StopAsync(immediate: crash, Ct);

    /// <summary>
    /// Starts the server again and returns the <see cref="Stopwatch"/> timestamp of the first moment it accepted a
    /// connection (measured by connecting every 10 ms while it starts), from which recovery times are measured.
    /// </summary>
    public async Task<long> StartAgainAsync()
    {
        var firstAccepted = WatchForFirstConnectionAsync();
        await Server.StartAgainAsync(Ct);
        return await firstAccepted;
    }

    /// <summary>Terminates the backends of <paramref name="database"/> (those whose query matches <paramref name="queryLike"/>, if given); returns how many.</summary>
    public async Task<long> TerminateBackendsAsync(string database, string? queryLike = null)
    {
        await using var admin = await OpenAdminAsync();
        await using var kill = new NpgsqlCommand(
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = @database AND pid <> pg_backend_pid() AND (@query::text IS NULL OR query LIKE @query)
            """,
            admin);
        kill.Parameters.AddWithValue("database", database);
        kill.Parameters.Add(new NpgsqlParameter<string?>("query", queryLike));
        return (long)(await kill.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>How many backends of <paramref name="database"/> run a query like <paramref name="queryLike"/> (a LISTEN, for example).</summary>
    public async Task<long> CountBackendsAsync(string database, string queryLike)
    {
        await using var admin = await OpenAdminAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @database AND query LIKE @query", admin);
        count.Parameters.AddWithValue("database", database);
        count.Parameters.AddWithValue("query", queryLike);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>An unpooled superuser connection (pooled ones would not survive the restarts).</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync(string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false };
        if (database is not null)
        {
            builder.Database = database;
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private async Task<long> WatchForFirstConnectionAsync()
    {
        var probe = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false, Timeout = 1 }.ConnectionString;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var attempt = Stopwatch.GetTimestamp();
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(Ct);
                return attempt;
            }
            catch (Exception e) when (e is NpgsqlException && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(10, Ct);
            }
        }
    }
}
