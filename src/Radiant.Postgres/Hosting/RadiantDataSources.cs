using Microsoft.Extensions.Options;
using Npgsql;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// The data sources Radiant uses: one for service queries and one for migrations (the same one unless a migration
/// connection string is configured). Data sources Radiant builds itself are disposed with it; one handed in by the
/// host stays the host's.
/// </summary>
internal sealed class RadiantDataSources : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _ownedApp;
    private readonly NpgsqlDataSource? _ownedMigration;

    public RadiantDataSources(IOptions<RadiantPostgresOptions> options, ExternalDataSource? external = null)
    {
        var settings = options.Value;
        if (external?.DataSource is { } given)
        {
            App = given;
        }
        else
        {
            App = _ownedApp = NpgsqlDataSource.Create(settings.ConnectionString!);
        }

        if (!string.IsNullOrWhiteSpace(settings.MigrationConnectionString))
        {
            Migration = _ownedMigration = NpgsqlDataSource.Create(settings.MigrationConnectionString);
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
