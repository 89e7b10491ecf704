using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

using Radiant.Personas;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Hosting;

public sealed class StartupChecksTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_superuser_login_without_role_switching_is_refused_with_a_fix()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_super", Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RadiantDatabase.BuildAsync(connectionString, o => o.SwitchToApplicationRole = false, adminLogin: true));

        Assert.Contains("superuser", error.Message, StringComparison.Ordinal);
        Assert.Contains("row-level security", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_superuser_login_is_refused_even_when_it_switches_roles_unless_allowed_for_development()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_login_super", Ct);
        var login = new NpgsqlConnectionStringBuilder(connectionString).Username!;

        // RESET ROLE in an injected statement would give the superuser back.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RadiantDatabase.BuildAsync(connectionString, o => o.AllowPrivilegedLogin = false, adminLogin: true));

        Assert.Contains($"login '{login}' can become {login} (superuser", error.Message, StringComparison.Ordinal);
        Assert.Contains("RESET ROLE", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowPrivilegedLogin", error.Message, StringComparison.Ordinal);

        var log = new Radiant.Tests.Scheduling.Worker.CollectedLog();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(log));
        services.AddRadiant().UsePostgres(connectionString, o => o.AllowPrivilegedLogin = true).AddPersonas();
        await using var provider = services.BuildServiceProvider();
        await RadiantDatabase.StartAsync(provider);
        Assert.Contains(log.Lines, l => l.Contains($"privileged login {login}", StringComparison.Ordinal) && l.Contains("Development only", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_login_that_can_become_the_schema_owner_is_refused_naming_that_role()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_login_owner", Ct);
        await (await RadiantDatabase.BuildAsync(connectionString)).DisposeAsync();
        var password = Guid.NewGuid().ToString("N");
        var login = "radiant_login_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE radiant_app, {TestLogins.Owner}", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RadiantDatabase.BuildAsync(
            new NpgsqlConnectionStringBuilder(connectionString) { Username = login, Password = password }.ConnectionString,
            o =>
            {
                o.AllowPrivilegedLogin = false;
                o.MigrationConnectionString = TestLogins.OwnerConnectionString(connectionString);
            },
            adminLogin: true));

        Assert.Contains($"{TestLogins.Owner} (owns schema radiant)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_application_role_with_bypassrls_is_refused()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_bypass", Ct);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand(
                """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'radiant_bypass_test') THEN
                        CREATE ROLE radiant_bypass_test NOLOGIN BYPASSRLS;
                    END IF;
                END $$;
                """, connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RadiantDatabase.BuildAsync(connectionString, o => o.ApplicationRole = "radiant_bypass_test", adminLogin: true));

        Assert.Contains("BYPASSRLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dedicated_restricted_login_works_without_role_switching()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_login", Ct);
        var password = Guid.NewGuid().ToString("N");
        var login = "radiant_login_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"CREATE ROLE {login} LOGIN PASSWORD '{password}'", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        // Migrate as the owner, then grant the application role to the dedicated login.
        await using (var owner = await RadiantDatabase.BuildAsync(connectionString))
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(Ct);
            await using var grant = new NpgsqlCommand($"GRANT radiant_app TO {login}", connection);
            await grant.ExecuteNonQueryAsync(Ct);
        }

        var restricted = new NpgsqlConnectionStringBuilder(connectionString) { Username = login, Password = password }.ConnectionString;
        await using var services = await RadiantDatabase.BuildAsync(restricted, o =>
        {
            o.SwitchToApplicationRole = false;
            o.MigrationConnectionString = connectionString;
        });
        var user = new Radiant.Tenancy.RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await services.GetRequiredService<Radiant.Tenancy.ITenantDirectory>().EnsureUserAsync(new Radiant.Tenancy.UserProfile(user), Ct);
        var persona = await services.GetRequiredService<IPersonaService>().CreateAsync(user, new PersonaCreate("A", "p"), Ct);
        Assert.Equal(user.TenantId, persona.TenantId);
    }

    [Fact]
    public async Task A_restricted_login_that_may_not_read_schema_migrations_starts_without_migrations_and_warns_that_it_could_not_check()
    {
        var connectionString = await server.CreateDatabaseAsync("guard_nocheck", Ct);
        var password = Guid.NewGuid().ToString("N");
        var login = "radiant_login_" + Guid.NewGuid().ToString("N")[..8];
        await (await RadiantDatabase.BuildAsync(connectionString)).DisposeAsync();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE radiant_app", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        var log = new Radiant.Tests.Scheduling.Worker.CollectedLog();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(log));
        services.AddRadiant().UsePostgres(new NpgsqlConnectionStringBuilder(connectionString) { Username = login, Password = password }.ConnectionString, o =>
        {
            o.SwitchToApplicationRole = false;
            o.MigrateOnStartup = false;
        }).AddPersonas();
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        Assert.Contains(log.Lines, l => l.Contains("Cannot verify that Radiant schema radiant is migrated", StringComparison.Ordinal) && l.Contains(login, StringComparison.Ordinal));
        var user = new Radiant.Tenancy.RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await provider.GetRequiredService<Radiant.Tenancy.ITenantDirectory>().EnsureUserAsync(new Radiant.Tenancy.UserProfile(user), Ct);
    }

    [Theory]
    [InlineData("Bad-Schema", "radiant_app", "Schema")]
    [InlineData("radiant", "1role", "ApplicationRole")]
    public async Task Invalid_options_fail_at_start_with_a_message_naming_the_setting(string schema, string role, string setting)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().UsePostgres("Host=127.0.0.1;Database=unused", o =>
        {
            o.Schema = schema;
            o.ApplicationRole = role;
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_connection_string_fails_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddRadiant().UsePostgres(_ => { });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("ConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_source_owned_by_the_host_is_used_and_not_disposed()
    {
        var connectionString = await server.CreateDatabaseAsync("ext_source", Ct);
        await using var dataSource = NpgsqlDataSource.Create(TestLogins.ServiceConnectionString(connectionString));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UsePostgres(dataSource, o => o.MigrationConnectionString = TestLogins.OwnerConnectionString(connectionString)).AddPersonas();
        await using (var provider = services.BuildServiceProvider())
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(Ct);
            }
        }

        await using var command = dataSource.CreateCommand("SELECT count(*) FROM radiant.system_focus_modes");
        Assert.Equal(5L, await command.ExecuteScalarAsync(Ct));
    }
}
