using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Postgres.Migrations;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Migrations;

public sealed class SchemaMigratorTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int EmbeddedCount => Migration.LoadEmbedded().Count;

    [Fact]
    public async Task Migrating_twice_applies_nothing_the_second_time()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_twice", Ct);
        await using var services = await RadiantDatabase.BuildAsync(connectionString);
        var migrator = services.GetRequiredService<IRadiantSchemaMigrator>();

        var second = await migrator.MigrateAsync(Ct);

        Assert.Empty(second);
        Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
    }

    [Fact]
    public async Task Four_instances_starting_together_apply_each_migration_once()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_race", Ct);
        var instances = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false, start: false)));
        try
        {
            var applied = await Task.WhenAll(instances.Select(s => Task.Run(() => s.GetRequiredService<IRadiantSchemaMigrator>().MigrateAsync(Ct), Ct)));

            Assert.Equal(Migration.LoadEmbedded().Select(m => m.Version), applied.SelectMany(a => a).Order());
            Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Whole_hosts_starting_together_all_start()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_hosts", Ct);

        var instances = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => RadiantDatabase.BuildAsync(connectionString), Ct)));

        foreach (var instance in instances)
        {
            await instance.DisposeAsync();
        }

        Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
    }

    [Fact]
    public async Task A_changed_applied_migration_is_an_error_not_a_rerun()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_checksum", Ct);
        await using var services = await RadiantDatabase.BuildAsync(connectionString);
        await ExecuteAsync(connectionString, "UPDATE radiant.schema_migrations SET checksum = 'edited' WHERE version = 1");

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => services.GetRequiredService<IRadiantSchemaMigrator>().MigrateAsync(Ct));

        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
        Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_version_is_refused()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_newer", Ct);
        await using var services = await RadiantDatabase.BuildAsync(connectionString);
        await ExecuteAsync(connectionString, "INSERT INTO radiant.schema_migrations (version, name, checksum, execution_ms) VALUES (9999, '9999_future', 'x', 0)");

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => services.GetRequiredService<IRadiantSchemaMigrator>().MigrateAsync(Ct));

        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_custom_schema_holds_its_own_tables()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_schema", Ct);
        await using var services = await RadiantDatabase.BuildAsync(connectionString, o => o.Schema = "assistant");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'assistant' AND tablename = 'user_personas'", connection);
        Assert.Equal(1L, await command.ExecuteScalarAsync(Ct));
        var user = new Radiant.Tenancy.RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await services.GetRequiredService<Radiant.Tenancy.ITenantDirectory>().EnsureUserAsync(new Radiant.Tenancy.UserProfile(user), Ct);
        var persona = await services.GetRequiredService<Radiant.Personas.IPersonaService>().CreateAsync(user, new Radiant.Personas.PersonaCreate("A", "p"), Ct);
        Assert.Equal(user.UserId, persona.OwnerId);
    }

    private static async Task<long> CountAppliedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM radiant.schema_migrations", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
