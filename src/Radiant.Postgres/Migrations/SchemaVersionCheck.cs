using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Migrations;

/// <summary>
/// When start-up does not migrate (<see cref="RadiantPostgresOptions.MigrateOnStartup"/> is false), checks that the
/// schema was migrated to exactly this library's newest embedded migration before anything else touches it, so a
/// missed deployment step fails with a message that says what to run, not deep inside with a missing role or table.
/// </summary>
internal sealed partial class SchemaVersionCheck(
    RadiantDataSources dataSources,
    IOptions<RadiantPostgresOptions> options,
    ILogger<SchemaVersionCheck> logger)
{
    private static readonly IReadOnlyList<Migration> Embedded = Migration.LoadEmbedded();

    public async Task EnsureCurrentAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var newest = Embedded[^1];
        const string Fix =
            "Apply the migrations before starting with MigrateOnStartup = false: call IRadiantSchemaMigrator.MigrateAsync() " +
            "from a deployment step (with a login that owns, or may create, the schema), or set RadiantPostgresOptions.MigrateOnStartup = true.";

        await using var connection = await dataSources.Migration.OpenConnectionAsync(cancellationToken);
        // The catalogues answer whatever the login's privileges on the schema.
        var table = await connection.QuerySingleAsync<(bool Exists, bool Readable)>(new CommandDefinition(
            """
            SELECT c.oid IS NOT NULL, coalesce(has_table_privilege(c.oid, 'SELECT'), false)
            FROM (SELECT 1) AS one
            LEFT JOIN pg_namespace n ON n.nspname = @schema
            LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'schema_migrations' AND c.relkind = 'r'
            """,
            new { schema = settings.Schema },
            cancellationToken: cancellationToken));
        if (!table.Exists)
        {
            throw new RadiantMigrationException(
                $"Radiant refuses to start: the database '{connection.Database}' has no Radiant schema '{settings.Schema}' " +
                $"({settings.Schema}.schema_migrations does not exist): it was never migrated, and MigrateOnStartup is false. " +
                $"This version of Radiant needs migration {newest.Version} ({newest.Name}). {Fix}");
        }

        if (!table.Readable)
        {
            LogUnverifiable(settings.Schema, connection.UserName ?? "?");
            return;
        }

        var applied = (await connection.QueryAsync<int>(new CommandDefinition(
            $"SELECT version FROM {SqlIdentifier.Quote(settings.Schema)}.schema_migrations ORDER BY version",
            cancellationToken: cancellationToken))).ToHashSet();
        var known = Embedded.Select(m => m.Version).ToHashSet();
        var unknown = applied.Where(v => !known.Contains(v)).Order().ToList();
        if (unknown.Count > 0)
        {
            throw new RadiantMigrationException(
                $"Radiant refuses to start: schema '{settings.Schema}' has migration {unknown[^1]}, which this version of Radiant " +
                $"(newest migration {newest.Version}, {newest.Name}) does not know. It was migrated by a newer Radiant: upgrade this " +
                "application instead of running an older one against it.");
        }

        var missing = Embedded.Where(m => !applied.Contains(m.Version)).ToList();
        if (missing.Count > 0)
        {
            var at = applied.Count == 0 ? "has no migration applied" : $"is at migration {applied.Max()}";
            throw new RadiantMigrationException(
                $"Radiant refuses to start: schema '{settings.Schema}' in database '{connection.Database}' {at}, but this version " +
                $"of Radiant needs migration {newest.Version} ({newest.Name}); not applied: " +
                $"{string.Join(", ", missing.Select(m => m.Name))}. MigrateOnStartup is false, so start-up does not apply them. {Fix}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot verify that Radiant schema {Schema} is migrated: login {Login} may not read its schema_migrations table. Set MigrationConnectionString to the schema owner's login, or grant it SELECT on the table")]
    private partial void LogUnverifiable(string schema, string login);
}
