using Npgsql;
using Radiant.Dev;

namespace Radiant.Sample.Host;

/// <summary>
/// Finds the database for the sample: <c>ConnectionStrings:Radiant</c> when set, otherwise a local PostgreSQL cluster
/// the sample starts (or reuses) under a data directory of its own, which survives restarts.
/// </summary>
internal static class SamplePostgres
{
    public static async Task<(string ConnectionString, LocalPostgresServer? Local)> ResolveAsync(IConfiguration configuration, string contentRoot)
    {
        var configured = configuration.GetConnectionString("Radiant");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return (configured, null);
        }

        var dataDirectory = configuration["Sample:DataDirectory"] ?? Path.Combine(contentRoot, ".data", "postgres");
        var port = configuration.GetValue("Sample:PostgresPort", 55432);
        var local = await LocalPostgresServer.StartPersistentAsync(dataDirectory, port, CancellationToken.None);
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
