using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Migrations;

internal sealed partial class SchemaMigrator(
    RadiantDataSources dataSources,
    IOptions<RadiantPostgresOptions> options,
    ILogger<SchemaMigrator> logger) : IRadiantSchemaMigrator
{
    private static readonly IReadOnlyList<Migration> Embedded = Migration.LoadEmbedded();

    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var schema = SqlIdentifier.Quote(settings.Schema);
        var appRole = SqlIdentifier.Quote(settings.ApplicationRole);
        var lockKey = LockKeyFor(settings.Schema);

        await using var connection = await dataSources.Migration.OpenConnectionAsync(cancellationToken);
        // A session-level lock: instances starting together queue here and the later ones find nothing to do.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@lockKey)", new { lockKey }, cancellationToken: cancellationToken));
        try
        {
            await EnsureRoleAsync(connection, settings.ApplicationRole, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                CREATE SCHEMA IF NOT EXISTS {schema};
                CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    version      integer      PRIMARY KEY,
                    name         text         NOT NULL,
                    checksum     text         NOT NULL,
                    applied_at   timestamptz  NOT NULL DEFAULT now(),
                    execution_ms integer      NOT NULL
                );
                """,
                cancellationToken: cancellationToken));

            var applied = (await connection.QueryAsync<(int Version, string Name, string Checksum)>(new CommandDefinition(
                $"SELECT version, name, checksum FROM {schema}.schema_migrations ORDER BY version",
                cancellationToken: cancellationToken))).ToDictionary(m => m.Version);

            Verify(applied);

            var appliedNow = new List<int>();
            foreach (var migration in Embedded.Where(m => !applied.ContainsKey(m.Version)))
            {
                var started = Stopwatch.GetTimestamp();
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var script = migration.Script
                    .Replace("{schema}", schema, StringComparison.Ordinal)
                    .Replace("{app_role}", appRole, StringComparison.Ordinal);
                await using (var command = new NpgsqlCommand(script, connection, transaction))
                {
                    command.CommandTimeout = 0;
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                var elapsedMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {schema}.schema_migrations (version, name, checksum, execution_ms) VALUES (@Version, @Name, @Checksum, @elapsedMs)",
                    new { migration.Version, migration.Name, migration.Checksum, elapsedMs },
                    transaction,
                    cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                LogApplied(migration.Version, migration.Name, settings.Schema, elapsedMs);
                appliedNow.Add(migration.Version);
            }

            if (appliedNow.Count == 0)
            {
                LogCurrent(settings.Schema, Embedded[^1].Version);
            }

            return appliedNow;
        }
        finally
        {
            // Unlock explicitly: the connection goes back to the pool, and a lock left on it would block every
            // other instance until that physical connection closed.
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@lockKey)", new { lockKey }, cancellationToken: CancellationToken.None));
            }
            catch (NpgsqlException) when (connection.FullState.HasFlag(System.Data.ConnectionState.Broken))
            {
                // The session is gone, and its lock with it.
            }
        }
    }

    private static void Verify(Dictionary<int, (int Version, string Name, string Checksum)> applied)
    {
        var known = Embedded.ToDictionary(m => m.Version);
        foreach (var (version, row) in applied)
        {
            if (!known.TryGetValue(version, out var migration))
            {
                throw new RadiantMigrationException(
                    $"The database has migration {version} ({row.Name}) which this version of Radiant does not know. " +
                    "It was migrated by a newer Radiant: upgrade this application instead of running an older one against it.");
            }

            if (!string.Equals(migration.Checksum, row.Checksum, StringComparison.Ordinal))
            {
                throw new RadiantMigrationException(
                    $"Migration {version} ({row.Name}) was applied with checksum {row.Checksum}, but the embedded script has checksum {migration.Checksum}. " +
                    "An applied migration must never change; add a new migration instead. Nothing was applied.");
            }
        }
    }

    private static async Task EnsureRoleAsync(NpgsqlConnection connection, string role, CancellationToken cancellationToken)
    {
        // Roles are cluster-wide: several databases (or schemas) migrating at once may race to create the same one.
        var quoted = SqlIdentifier.Quote(role);
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    BEGIN
                        CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END;
                END IF;
                IF NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
                    BEGIN
                        EXECUTE format('GRANT %I TO %I', '{role}', current_user);
                    EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
                        RAISE NOTICE 'could not grant {role} to %; grant it to the services'' login yourself', current_user;
                    END;
                END IF;
            END
            $$;
            """,
            cancellationToken: cancellationToken));
    }

    private static long LockKeyFor(string schema)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("radiant:migrations:" + schema));
        return BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied Radiant migration {Version} ({Name}) to schema {Schema} in {ElapsedMs} ms")]
    private partial void LogApplied(int version, string name, string schema, int elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Radiant schema {Schema} is current at version {Version}")]
    private partial void LogCurrent(string schema, int version);
}
