using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Radiant.Registry;
using Radiant.Scheduling;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling;

/// <summary>
/// A fresh database per test class with the scheduler feature on (so pricing and the registry too: the built-in
/// catalogue is synced at start-up and "gpt-4o" is a registry model) and no worker, so runs stay as the service
/// leaves them. The services' reading of "now" (normally the database's clock) is pinned to a
/// <see cref="FakeTimeProvider"/> that starts at a whole second of real time and moves only when a test advances it.
/// </summary>
public sealed class ScheduleServiceDatabase(PostgresServer server) : IAsyncLifetime
{
    private ServiceProvider? _services;

    public string ConnectionString { get; private set; } = "";

    public FakeTimeProvider Clock { get; } = new(WholeSecond(DateTimeOffset.UtcNow));

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public IScheduleService Schedules => Services.GetRequiredService<IScheduleService>();

    public IModelRegistry Registry => Services.GetRequiredService<IModelRegistry>();

    public ITenantDirectory Directory => Services.GetRequiredService<ITenantDirectory>();

    /// <summary>What the services take as now.</summary>
    public DateTimeOffset Now => Clock.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync("schedules", TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddRadiant().UseTestPostgres(ConnectionString).AddScheduler();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // The services read "now" from the database; these tests move it with the fake clock instead.
        _services.GetRequiredService<Radiant.Postgres.Tenancy.RadiantDb>().PinnedNow = Clock.GetUtcNow;
        foreach (var hosted in _services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            foreach (var hosted in _services.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await _services.DisposeAsync();
        }
    }

    /// <summary>Provisions a new user, in a new tenant unless one is given.</summary>
    public async Task<RadiantCaller> NewUserAsync(Guid? tenantId = null, Guid? userId = null)
    {
        var user = new RadiantCaller(tenantId ?? Guid.NewGuid(), userId ?? Guid.NewGuid());
        await Directory.EnsureUserAsync(new UserProfile(user, $"{user.UserId:N}@example.test", "Test User"), TestContext.Current.CancellationToken);
        return user;
    }

    /// <summary>Opens a raw connection as the database owner (superuser in tests: row-level security does not apply).</summary>
    public async Task<NpgsqlConnection> OpenOwnerConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>Runs a statement as the owner (bypassing row-level security), for states only a worker reaches.</summary>
    public async Task<int> ExecuteAsOwnerAsync(string sql)
    {
        await using var connection = await OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A count as the owner (every tenant's rows).</summary>
    public async Task<long> CountAsOwnerAsync(string sql)
    {
        await using var connection = await OpenOwnerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset WholeSecond(DateTimeOffset value) => new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}

/// <summary>Inputs shared by the schedule tests.</summary>
public static class ScheduleSamples
{
    public const string Model = "gpt-4o";

    public static ScheduleCreate Cron(string expression = "0 9 * * *", string? timezone = null, string name = "Morning digest") =>
        new(name, "Summarise the news.", Model, ScheduleType.Cron) { CronExpression = expression, Timezone = timezone };

    public static ScheduleCreate Once(DateTimeOffset runAt, string name = "Reminder") =>
        new(name, "Remind me.", Model, ScheduleType.Once) { RunAt = runAt };

    public static ScheduleCreate Interval(int minutes, DateTimeOffset? anchor = null, string name = "Poll") =>
        new(name, "Check the status.", Model, ScheduleType.Interval) { IntervalMinutes = minutes, RunAt = anchor };
}
