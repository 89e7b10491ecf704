using Npgsql;
using Radiant.Dev;

namespace Radiant.Sample.Host;

/// <summary>
/// Finds the database for the sample: <c>ConnectionStrings:Radiant</c> when set, otherwise a local PostgreSQL cluster
/// the sample starts (or reuses) under a data directory of its own, which survives restarts.
/// </summary>
/// <remarks>
/// The cluster listens on 127.0.0.1:<see cref="DefaultPort"/>, which lies below Linux's ephemeral range
/// (32768-60999), so no outgoing connection can be holding it. If another program listens there, the sample picks a
/// free port, remembers it in <c>.data/postgres.port</c> and says so at start-up. <c>Sample:PostgresPort</c> sets a
/// port explicitly (used as given: a taken one fails the start).
/// </remarks>
public static class SamplePostgres
{
    /// <summary>The local cluster's port unless <c>Sample:PostgresPort</c> says otherwise: below the ephemeral range.</summary>
    public const int DefaultPort = 15432;

    internal static async Task<(string ConnectionString, LocalPostgresServer? Local)> ResolveAsync(IConfiguration configuration, string contentRoot)
    {
        var configured = configuration.GetConnectionString("Radiant");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, null);
        }

        var dataDirectory = configuration["Sample:DataDirectory"] ?? Path.Combine(contentRoot, ".data", "postgres");
        var explicitPort = configuration.GetValue<int?>("Sample:PostgresPort");
        var local = await LocalPostgresServer.StartPersistentAsync(
            dataDirectory, explicitPort ?? DefaultPort, CancellationToken.None, choosePortWhenTaken: explicitPort is null);
        if (local.PortNotice is { } notice)
        {
            Console.WriteLine(notice);
        }

        var builder = new NpgsqlConnectionStringBuilder(local.ConnectionString);
        await EnsureDatabaseAsync(builder.ConnectionString, "radiant_sample");
        builder.Database = "radiant_sample";
        return (builder.ConnectionString, local);
    }

    private static async Task EnsureDatabaseAsync(string adminConnectionString, string database)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_database WHERE datname = @name)", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync() is not true)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
    }
}
