using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// At start-up, compares what this instance's pool may open with what the server accepts: <c>max_connections</c> less
/// <c>superuser_reserved_connections</c> and (PostgreSQL 16+) <c>reserved_connections</c>. A pool that could outgrow
/// it — alone, or with the connections other clients hold right now — is logged as a warning with the numbers, since
/// past that the server refuses connections ("53300: too many clients") instead of requests queueing for the pool.
/// Only a log: a host may know better (a PgBouncer in between, instances that never peak together).
/// </summary>
internal sealed partial class ConnectionCapacityCheck(RadiantDataSources dataSources, ILogger<ConnectionCapacityCheck> logger)
{
    private const string Sql = """
        SELECT current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int,
               coalesce(current_setting('reserved_connections', true)::int, 0),
               (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())
        """;

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var pool = new NpgsqlConnectionStringBuilder(dataSources.App.ConnectionString);
        if (!pool.Pooling)
        {
            return;
        }

        int maxConnections, superuserReserved, reserved, inUse;
        try
        {
            await using var command = dataSources.App.CreateCommand(Sql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (maxConnections, superuserReserved, reserved, inUse) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidCastException)
        {
            // A proxy that does not forward these settings, say: nothing to compare with.
            LogNotChecked(e);
            return;
        }

        var available = maxConnections - superuserReserved - reserved;
        var limits = string.Create(
            CultureInfo.InvariantCulture,
            $"max_connections {maxConnections} - superuser_reserved_connections {superuserReserved} - reserved_connections {reserved} = {available}");
        if (pool.MaxPoolSize > available)
        {
            LogPoolTooLarge(pool.MaxPoolSize, available, limits);
        }
        else if (pool.MaxPoolSize + inUse > available)
        {
            LogPoolTooLargeWithOthers(pool.MaxPoolSize, inUse, available, limits);
        }
        else
        {
            LogPoolFits(pool.MaxPoolSize, available, inUse);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Radiant's connection pool may open {Pool} connections, but PostgreSQL accepts {Available} from ordinary logins ({Limits}): under load the server will refuse connections ('53300: too many clients') and requests answer 503. Lower 'Maximum Pool Size' in the connection string (the pools of all instances together must stay below it) or raise max_connections.")]
    private partial void LogPoolTooLarge(int pool, int available, string limits);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Radiant's connection pool may open {Pool} connections, and other clients hold {InUse} now, together more than the {Available} PostgreSQL accepts from ordinary logins ({Limits}): under load the server may refuse connections ('53300: too many clients'). Lower 'Maximum Pool Size' in the connection string so that the pools of all instances fit, or raise max_connections.")]
    private partial void LogPoolTooLargeWithOthers(int pool, int inUse, int available, string limits);

    [LoggerMessage(Level = LogLevel.Information, Message = "Radiant's connection pool may open {Pool} of the {Available} connections PostgreSQL accepts ({InUse} in use by other clients now)")]
    private partial void LogPoolFits(int pool, int available, int inUse);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read the server's connection limits; the pool size was not checked against them")]
    private partial void LogNotChecked(Exception exception);
}
