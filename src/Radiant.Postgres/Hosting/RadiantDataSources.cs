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
internal sealed class RadiantDataSources : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _ownedApp;
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
            var builder = new NpgsqlDataSourceBuilder(settings.ConnectionString);
            if (loggers is not null)
            {
                builder.UseLoggerFactory(loggers);
            }

            services.GetService<DataSourceCallback>()?.Configure(builder);
            App = _ownedApp = builder.Build();
        }
        else
        {
            App = settings.DataSourceKey is { } key
                ? services.GetRequiredKeyedService<NpgsqlDataSource>(key)
                : services.GetRequiredService<NpgsqlDataSource>();
        }

        if (!string.IsNullOrWhiteSpace(settings.MigrationConnectionString))
        {
            var builder = new NpgsqlDataSourceBuilder(settings.MigrationConnectionString);
            if (loggers is not null)
            {
                builder.UseLoggerFactory(loggers);
            }

            Migration = _ownedMigration = builder.Build();
        }
        else
        {
            Migration = App;
        }
    }

    public NpgsqlDataSource App { get; }

    public NpgsqlDataSource Migration { get; }

    public async ValueTask DisposeAsync()
    {
        if (_ownedMigration is not null)
        {
            await _ownedMigration.DisposeAsync();
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
