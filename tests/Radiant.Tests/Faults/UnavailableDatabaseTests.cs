using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Errors;
using Radiant.Personas;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Faults;

/// <summary>
/// The data kernel's answer when the database cannot serve: a <see cref="RadiantUnavailableException"/> with a wait
/// to suggest, saying what happened without the server's address — and honest about whether anything was saved.
/// </summary>
public sealed class UnavailableDatabaseTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unreachable_server_is_unavailable_with_a_retry_after_and_without_its_address()
    {
        var port = FreePort();
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Host = "127.0.0.1", Port = port, Database = "nowhere" }.ConnectionString;
        // Not started: nothing at that port to migrate.
        await using var services = Services(connectionString);

        var error = await Assert.ThrowsAsync<RadiantUnavailableException>(() =>
            services.GetRequiredService<IPersonaService>().ListAsync(new RadiantCaller(Guid.NewGuid(), Guid.NewGuid()), cancellationToken: Ct));

        Assert.Equal(DatabaseUnavailable.AwayRetryAfter, error.RetryAfter);
        Assert.False(error.OutcomeUnknown);
        Assert.Contains("not reachable", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        // The cause stays on the exception for the operator's log.
        Assert.IsType<NpgsqlException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public async Task An_exhausted_pool_is_unavailable_once_its_timeout_passes_and_is_not_retried()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("fault_pool", Ct)) { MaxPoolSize = 2, Timeout = 1 }.ConnectionString;
        await using var services = await StartedAsync(connectionString);
        var caller = await NewUserAsync(services);
        var pool = services.GetRequiredService<RadiantDataSources>().App;
        await using var first = await pool.OpenConnectionAsync(Ct);
        await using var second = await pool.OpenConnectionAsync(Ct);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RadiantUnavailableException>(() =>
            services.GetRequiredService<IPersonaService>().CreateAsync(caller, new PersonaCreate("Sage", "You are wise."), Ct));

        Assert.Equal(DatabaseUnavailable.BusyRetryAfter, error.RetryAfter);
        Assert.False(error.OutcomeUnknown);
        Assert.Contains("no connection became free in time", error.Message, StringComparison.Ordinal);
        // One pool wait of 1 s; re-running the transaction would wait again for each retry.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
        await first.DisposeAsync();
        Assert.Empty((await services.GetRequiredService<IPersonaService>().ListAsync(caller, cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task A_connection_limit_refusal_before_the_commit_is_retried_then_unavailable_with_nothing_saved()
    {
        var connectionString = await server.CreateDatabaseAsync("fault_limit", Ct);
        await using var services = await StartedAsync(connectionString);
        var table = await ScratchTableAsync(connectionString, failAtCommitWith: null);
        var attempts = 0;

        var error = await Assert.ThrowsAsync<RadiantUnavailableException>(() => services.GetRequiredService<RadiantDb>().WithoutTenantAsync(
            async (connection, transaction) =>
            {
                attempts++;
                await ExecuteAsync(connection, transaction, $"INSERT INTO {table} (attempt) VALUES ({attempts})");
                await ExecuteAsync(connection, transaction, "DO $$ BEGIN RAISE EXCEPTION 'sorry, too many clients already' USING ERRCODE = 'too_many_connections'; END $$");
                return attempts;
            },
            Ct));

        Assert.Equal(4, attempts); // the first try and the data kernel's three re-runs
        Assert.False(error.OutcomeUnknown);
        Assert.Contains("connection limit", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was saved", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync(connectionString, table));
    }

    [Fact]
    public async Task A_shutdown_during_the_commit_is_unavailable_with_the_outcome_unknown_and_not_run_again()
    {
        var connectionString = await server.CreateDatabaseAsync("fault_commit", Ct);
        await using var services = await StartedAsync(connectionString);
        var table = await ScratchTableAsync(connectionString, failAtCommitWith: "admin_shutdown");
        var attempts = 0;

        var error = await Assert.ThrowsAsync<RadiantUnavailableException>(() => services.GetRequiredService<RadiantDb>().WithoutTenantAsync(
            async (connection, transaction) =>
            {
                attempts++;
                await ExecuteAsync(connection, transaction, $"INSERT INTO {table} (attempt) VALUES ({attempts})");
                return attempts;
            },
            Ct));

        Assert.Equal(1, attempts);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(DatabaseUnavailable.AwayRetryAfter, error.RetryAfter);
        Assert.Contains("may or may not have been saved", error.Message, StringComparison.Ordinal);
        Assert.Equal(PostgresErrorCodes.AdminShutdown, Assert.IsType<PostgresException>(error.InnerException).SqlState);
    }

    internal static ServiceProvider Services(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UseTestPostgres(connectionString).AddPersonas();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static async Task<ServiceProvider> StartedAsync(string connectionString)
    {
        var services = Services(connectionString);
        await RadiantDatabase.StartAsync(services);
        return services;
    }

    private static async Task<RadiantCaller> NewUserAsync(IServiceProvider services)
    {
        var caller = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await services.GetRequiredService<ITenantDirectory>().EnsureUserAsync(new UserProfile(caller, "someone@example.test", "Someone"), Ct);
        return caller;
    }

    /// <summary>A table the application role may write; with <paramref name="failAtCommitWith"/>, a deferred trigger fails every commit with that condition.</summary>
    private static async Task<string> ScratchTableAsync(string connectionString, string? failAtCommitWith)
    {
        var table = $"public.fault_{Guid.NewGuid():N}";
        await using var owner = new NpgsqlConnection(connectionString);
        await owner.OpenAsync(Ct);
        await ExecuteAsync(owner, null, $"CREATE TABLE {table} (attempt int NOT NULL); GRANT USAGE ON SCHEMA public TO radiant_app; GRANT INSERT, SELECT ON {table} TO radiant_app;");
        if (failAtCommitWith is not null)
        {
            await ExecuteAsync(owner, null, $"""
                CREATE FUNCTION {table}_fail() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'failing at commit' USING ERRCODE = '{failAtCommitWith}'; END $$;
                CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION {table}_fail();
                """);
        }

        return table;
    }

    private static async Task<long> CountAsync(string connectionString, string table)
    {
        await using var owner = new NpgsqlConnection(connectionString);
        await owner.OpenAsync(Ct);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", owner);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Ct);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
