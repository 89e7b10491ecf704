using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Radiant.Dev;
using Radiant.Tests.Infrastructure;
using Testcontainers.PostgreSql;

[assembly: AssemblyFixture(typeof(PostgresServer))]

namespace Radiant.Tests.Infrastructure;

/// <summary>
/// The one PostgreSQL server of a test run. In order of preference: the server in
/// <c>RADIANT_TEST_CONNECTION_STRING</c>; a Testcontainers container when a Docker engine is around; a throwaway
/// cluster started from the PostgreSQL binaries installed on this machine. Tests get fresh databases from
/// <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>Environment variable with an admin (superuser, or CREATEDB + CREATEROLE) connection string.</summary>
    public const string ConnectionStringVariable = "RADIANT_TEST_CONNECTION_STRING";

    private const string ContainerImage = "postgres:15-alpine";
    private const int MaxIdentifierLength = 63;

    private readonly ConcurrentQueue<string> _createdDatabases = new();
    private LocalPostgresServer? _local;
    private PostgreSqlContainer? _container;
    private NpgsqlDataSource? _admin;

    /// <summary>Connection string of an administrative login on the server.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Where the server comes from, for diagnostics: "env 16.4 at db:5432", "local cluster 15.18 at 127.0.0.1:41234".</summary>
    public string Description { get; private set; } = "not started";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        string source;
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            AdminConnectionString = configured;
            source = "env";
        }
        else if (await TryStartContainerAsync(ct) is { } containerConnectionString)
        {
            AdminConnectionString = containerConnectionString;
            source = "container";
        }
        else
        {
            _local = await LocalPostgresServer.StartThrowawayAsync(ct);
            AdminConnectionString = _local.ConnectionString;
            source = "local cluster";
        }

        _admin = NpgsqlDataSource.Create(AdminConnectionString);
        await using var command = _admin.CreateCommand(
            "SELECT current_setting('server_version'), rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user");
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new InvalidOperationException($"The {source} PostgreSQL login has no pg_roles row.");
        }

        var version = reader.GetString(0).Split(' ')[0];
        if (!reader.GetBoolean(1) && !reader.GetBoolean(2))
        {
            throw new InvalidOperationException(
                $"The login in {ConnectionStringVariable} must be a superuser or have CREATEDB (and CREATEROLE) to create test databases.");
        }

        await reader.DisposeAsync();
        await CreateLoginsAsync(_admin, ct);

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString);
        Description = string.Create(CultureInfo.InvariantCulture, $"{source} {version} at {builder.Host}:{builder.Port}");
        TestContext.Current.SendDiagnosticMessage($"PostgreSQL for this run: {Description}");
    }

    /// <summary>
    /// Creates a new, empty database named <c>radiant_&lt;prefix&gt;_&lt;8 hex&gt;</c>, owned by the <see cref="TestLogins.Owner"/>
    /// login, and returns a connection string to it with the admin credentials (for tests' own raw SQL; Radiant's
    /// hosts connect with <see cref="TestLogins"/>).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string namePrefix, CancellationToken ct)
    {
        var admin = _admin ?? throw new InvalidOperationException("The PostgreSQL server fixture is not initialized.");
        var name = NewDatabaseName(namePrefix);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = admin.CreateCommand($"CREATE DATABASE \"{name}\" OWNER {TestLogins.Owner}");
                await command.ExecuteNonQueryAsync(ct);
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 10)
            {
                // "source database template1 is being accessed by other users": someone else is connected to it.
                await Task.Delay(100 * attempt, ct);
            }
        }

        _createdDatabases.Enqueue(name);
        return new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = name,
            Pooling = true,
            MaxPoolSize = 50,
        }.ConnectionString;
    }

    /// <summary>
    /// Starts a brand-new throwaway cluster of its own from the PostgreSQL binaries on this machine (whatever server
    /// the run uses), for a test that needs a cluster no other test has touched: no roles created by earlier
    /// migrations, for example. The test disposes it.
    /// </summary>
    internal static Task<LocalPostgresServer> StartSeparateClusterAsync(CancellationToken ct) => LocalPostgresServer.StartThrowawayAsync(ct);

    /// <summary>
    /// The production setup of <see cref="TestLogins"/>: an owner login that is not a superuser (row-level security is
    /// forced on it too), and a service login that is only a member of the application role. Roles are cluster-wide;
    /// the passwords are new for every run.
    /// </summary>
    internal static async Task CreateLoginsAsync(NpgsqlDataSource admin, CancellationToken ct)
    {
        await using var command = admin.CreateCommand(
            $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'radiant_app') THEN
                    CREATE ROLE radiant_app NOLOGIN;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TestLogins.Owner}') THEN
                    CREATE ROLE {TestLogins.Owner} LOGIN NOSUPERUSER NOBYPASSRLS;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TestLogins.Service}') THEN
                    CREATE ROLE {TestLogins.Service} LOGIN NOSUPERUSER NOBYPASSRLS;
                END IF;
                IF NOT pg_has_role(current_user, '{TestLogins.Owner}', 'MEMBER') THEN
                    GRANT {TestLogins.Owner} TO current_user;
                END IF;
            END $$;
            ALTER ROLE {TestLogins.Owner} PASSWORD '{TestLogins.Password}';
            ALTER ROLE {TestLogins.Service} PASSWORD '{TestLogins.Password}';
            GRANT radiant_app TO {TestLogins.Service};
            """);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_admin is not null)
        {
            if (_local is null && _container is null)
            {
                await DropCreatedDatabasesAsync(_admin);
            }

            await _admin.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
    }

    internal static string NewDatabaseName(string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(namePrefix);
        const string Head = "radiant_";
        var suffix = "_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        var prefix = new StringBuilder(namePrefix.Length);
        foreach (var c in namePrefix.ToLowerInvariant())
        {
            prefix.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        if (prefix.Length == 0)
        {
            prefix.Append("db");
        }

        var room = MaxIdentifierLength - Head.Length - suffix.Length;
        return Head + (prefix.Length > room ? prefix.ToString(0, room) : prefix.ToString()) + suffix;
    }

    private static bool DockerEngineMayBeAvailable() =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private async Task<string?> TryStartContainerAsync(CancellationToken ct)
    {
        if (!DockerEngineMayBeAvailable())
        {
            return null;
        }

        try
        {
            _container = new PostgreSqlBuilder(ContainerImage).WithCommand("-c", "max_connections=300").Build();
            await _container.StartAsync(ct);
            return _container.GetConnectionString();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TestContext.Current.SendDiagnosticMessage($"PostgreSQL container did not start, using a local cluster instead: {e.Message}");
            await DisposeContainerQuietlyAsync();
            return null;
        }
    }

    private async Task DisposeContainerQuietlyAsync()
    {
        var container = _container;
        _container = null;
        if (container is null)
        {
            return;
        }

        try
        {
            await container.DisposeAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TestContext.Current.SendDiagnosticMessage($"Disposing the failed PostgreSQL container threw: {e.Message}");
        }
    }

    // On a shared server (env), leave no test databases behind.
    private async Task DropCreatedDatabasesAsync(NpgsqlDataSource admin)
    {
        while (_createdDatabases.TryDequeue(out var name))
        {
            try
            {
                await using var command = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // Best effort: a database left behind is harmless.
            }
        }
    }
}
