using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Hosting;
using Radiant.Postgres.Migrations;
using Radiant.Registry;

namespace Radiant.Postgres.Hosting;

/// <summary>Migrates (when enabled) and verifies tenant isolation before the host starts serving.</summary>
internal sealed class RadiantStartup(
    IRadiantSchemaMigrator migrator,
    RowLevelSecurityGuard guard,
    IModelRegistry registry,
    IEnumerable<RadiantFeature> features,
    IOptions<RadiantPostgresOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup)
        {
            await migrator.MigrateAsync(cancellationToken);
        }

        if (options.Value.VerifyRowLevelSecurityOnStartup)
        {
            await guard.VerifyAsync(cancellationToken);
        }

        if (options.Value.SyncBuiltInCatalogOnStartup && features.Any(f => f.Name == RadiantFeature.Registry))
        {
            await registry.SyncAsync(BuiltInCatalog.Catalog, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
