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
        // A brand-new cluster: no earlier test (or migrator) has created the application role in it.
        await using var cluster = await PostgresServer.StartSeparateClusterAsync(Ct);
        var connectionString = await CreateDatabaseAsync(cluster.ConnectionString, "radiant_mig_race");
        Assert.False(await RoleExistsAsync(connectionString, "radiant_app"));

        // Four deployment steps at once: each builds the services and migrates; none starts a host before migrating.
        var instances = Enumerable.Range(0, 4).Select(_ => RadiantDatabase.Build(connectionString, o => o.MigrateOnStartup = false, adminLogin: true)).ToList();
        try
        {
            var applied = await Task.WhenAll(instances.Select(s => Task.Run(() => s.GetRequiredService<IRadiantSchemaMigrator>().MigrateAsync(Ct), Ct)));

            Assert.Equal(Migration.LoadEmbedded().Select(m => m.Version), applied.SelectMany(a => a).Order());
            Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
            Assert.True(await RoleExistsAsync(connectionString, "radiant_app"));

            // Then the hosts start without migrating: the schema is current, and tenant isolation checks out.
            await Task.WhenAll(instances.Select(s => RadiantDatabase.StartAsync(s)));
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
    public async Task Starting_without_migrations_against_a_never_migrated_database_says_to_call_MigrateAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_off_empty", Ct);

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false));

        Assert.Contains("never migrated", error.Message, StringComparison.Ordinal);
        Assert.Contains("radiant.schema_migrations does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("IRadiantSchemaMigrator.MigrateAsync()", error.Message, StringComparison.Ordinal);
        Assert.Contains("MigrateOnStartup = true", error.Message, StringComparison.Ordinal);
        Assert.Contains(Migration.LoadEmbedded()[^1].Name, error.Message, StringComparison.Ordinal);
        // Nothing was created on the way.
        Assert.False(await SchemaExistsAsync(connectionString, "radiant"));
    }

    [Fact]
    public async Task Starting_without_migrations_on_a_brand_new_cluster_says_to_call_MigrateAsync_not_that_a_role_is_missing()
    {
        await using var cluster = await PostgresServer.StartSeparateClusterAsync(Ct);
        var connectionString = await CreateDatabaseAsync(cluster.ConnectionString, "radiant_mig_off_fresh");

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false, adminLogin: true));

        Assert.Contains("IRadiantSchemaMigrator.MigrateAsync()", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("role", error.Message, StringComparison.Ordinal);
        Assert.False(await RoleExistsAsync(connectionString, "radiant_app"));
    }

    [Fact]
    public async Task Starting_without_migrations_against_a_database_behind_names_the_missing_migrations_and_MigrateAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_off_behind", Ct);
        await (await RadiantDatabase.BuildAsync(connectionString)).DisposeAsync();
        var newest = Migration.LoadEmbedded()[^1];
        var previous = Migration.LoadEmbedded()[^2];
        await ExecuteAsync(connectionString, $"DELETE FROM radiant.schema_migrations WHERE version = {newest.Version}");

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false));

        Assert.Contains($"is at migration {previous.Version}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"needs migration {newest.Version} ({newest.Name})", error.Message, StringComparison.Ordinal);
        Assert.Contains($"not applied: {newest.Name}", error.Message, StringComparison.Ordinal);
        Assert.Contains("IRadiantSchemaMigrator.MigrateAsync()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_without_migrations_against_a_database_migrated_by_a_newer_version_is_refused()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_off_newer", Ct);
        await (await RadiantDatabase.BuildAsync(connectionString)).DisposeAsync();
        await ExecuteAsync(connectionString, "INSERT INTO radiant.schema_migrations (version, name, checksum, execution_ms) VALUES (9999, '9999_future', 'x', 0)");

        var error = await Assert.ThrowsAsync<RadiantMigrationException>(() => RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false));

        Assert.Contains("migration 9999", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer Radiant", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_without_migrations_against_a_current_database_starts_and_applies_nothing()
    {
        var connectionString = await server.CreateDatabaseAsync("mig_off_current", Ct);
        await (await RadiantDatabase.BuildAsync(connectionString)).DisposeAsync();

        await using var services = await RadiantDatabase.BuildAsync(connectionString, o => o.MigrateOnStartup = false);

        Assert.Equal(EmbeddedCount, await CountAppliedAsync(connectionString));
        var user = new Radiant.Tenancy.RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await services.GetRequiredService<Radiant.Tenancy.ITenantDirectory>().EnsureUserAsync(new Radiant.Tenancy.UserProfile(user), Ct);
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

    private static async Task<string> CreateDatabaseAsync(string adminConnectionString, string name)
    {
        await ExecuteAsync(adminConnectionString, $"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<bool> RoleExistsAsync(string connectionString, string role)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = @role)", connection);
        command.Parameters.AddWithValue("role", role);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<bool> SchemaExistsAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = @schema)", connection);
        command.Parameters.AddWithValue("schema", schema);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
