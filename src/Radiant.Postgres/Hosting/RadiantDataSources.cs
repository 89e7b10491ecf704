using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// The data sources Radiant uses: one for service queries and one for migrations (the same one unless a migration
/// connection string is configured). Data sources Radiant builds itself use the host's logger factory and are disposed
/// with it; one handed in by the host, or taken from the container, stays the host's.
/// </summary>
/// <remarks>
/// A pool Radiant builds from a connection string that does not set <c>Maximum Pool Size</c> holds at most
/// <see cref="DefaultMaxPoolSize"/> connections, not Npgsql's 100: PostgreSQL's default <c>max_connections</c> is 100
/// too, so one busy instance could take every slot and have the server refuse the rest ("53300: too many clients").
/// Requests beyond the pool wait for a free connection (up to <c>Timeout</c>, 15 s by default) and then answer 503.
/// </remarks>
/// <remarks>
/// Radiant's scheduler prepares its statements, and Npgsql keeps prepared statements on a physical connection across
/// pooled opens. SQL injected into a request could replace one of them (<c>DEALLOCATE</c>, then <c>PREPARE</c> under
/// the same name) and have the scheduler run it later in its cross-tenant scope; so when Radiant builds its pools
/// itself, the scheduler's transactions run on a <see cref="Worker"/> pool of their own (at most
/// <see cref="WorkerMaxPoolSize"/> connections, application name suffixed " (worker)") that no request ever uses, and
/// request connections never hold a prepared statement. With a data source the host hands in, there is one pool, and
/// the scheduler does not prepare.
/// </remarks>
internal sealed class RadiantDataSources : IAsyncDisposable
{
    /// <summary>Connections per pool when the connection string does not say: room for several instances below a default server.</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>Connections of the worker pool: the scheduler's claim, lease and completion transactions are batched and few.</summary>
    public const int WorkerMaxPoolSize = 4;

    private readonly NpgsqlDataSource? _ownedApp;
    private readonly NpgsqlDataSource? _ownedWorker;
    private readonly NpgsqlDataSource? _ownedMigration;

    public RadiantDataSources(IServiceProvider services, IOptions<RadiantPostgresOptions> options)
    {
        var settings = options.Value;
        var loggers = services.GetService<ILoggerFactory>();
        if (services.GetService<ExternalDataSource>() is { } external)
        {
            App = external.DataSource;
        }
        else if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            var builder = Builder(settings.ConnectionString, loggers);
            services.GetService<DataSourceCallback>()?.Configure(builder);
            App = _ownedApp = builder.Build();
            var worker = Builder(settings.ConnectionString, loggers);
            services.GetService<DataSourceCallback>()?.Configure(worker);
            worker.ConnectionStringBuilder.MaxPoolSize = WorkerMaxPoolSize;
            worker.ConnectionStringBuilder.MinPoolSize = 0;
            worker.ConnectionStringBuilder.ApplicationName = (worker.ConnectionStringBuilder.ApplicationName ?? "Radiant") + " (worker)";
            _ownedWorker = worker.Build();
        }
        else
        {
            App = settings.DataSourceKey is { } key
                ? services.GetRequiredKeyedService<NpgsqlDataSource>(key)
                : services.GetRequiredService<NpgsqlDataSource>();
        }

        if (!string.IsNullOrWhiteSpace(settings.MigrationConnectionString))
        {
            Migration = _ownedMigration = Builder(settings.MigrationConnectionString, loggers).Build();
        }
        else
        {
            Migration = App;
        }
    }

    public NpgsqlDataSource App { get; }

    /// <summary>The scheduler's pool (see the remarks); <see cref="App"/> itself when the host handed in the data source.</summary>
    public NpgsqlDataSource Worker => _ownedWorker ?? App;

    /// <summary>Whether <see cref="Worker"/> is a pool of its own, on which statements may be prepared safely.</summary>
    public bool HasWorkerPool => _ownedWorker is not null;

    public NpgsqlDataSource Migration { get; }

    /// <summary>Whether <paramref name="connectionString"/> sets the pool's maximum size itself (under either of Npgsql's names).</summary>
    internal static bool SetsMaxPoolSize(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey is true for every keyword it knows, set or not.
        var keys = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.ContainsKey("Maximum Pool Size") || keys.ContainsKey("MaxPoolSize");
    }

    private static NpgsqlDataSourceBuilder Builder(string connectionString, ILoggerFactory? loggers)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!SetsMaxPoolSize(connectionString))
        {
            builder.ConnectionStringBuilder.MaxPoolSize = Math.Max(DefaultMaxPoolSize, builder.ConnectionStringBuilder.MinPoolSize);
        }

        if (loggers is not null)
        {
            builder.UseLoggerFactory(loggers);
        }

        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownedMigration is not null)
        {
            await _ownedMigration.DisposeAsync();
        }

        if (_ownedWorker is not null)
        {
            await _ownedWorker.DisposeAsync();
        }

        if (_ownedApp is not null)
        {
            await _ownedApp.DisposeAsync();
        }
    }
}

/// <summary>A data source the host passed to <c>UsePostgres</c>.</summary>
internal sealed record ExternalDataSource(NpgsqlDataSource DataSource);

/// <summary>The host's callback for the data source Radiant builds from a connection string (type mappings, password providers, tracing).</summary>
internal sealed record DataSourceCallback(Action<NpgsqlDataSourceBuilder> Configure);
