using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Postgres.Migrations;
using Radiant.Registry;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// Before the host serves: migrates (when enabled; otherwise checks that the schema is migrated and current), verifies
/// tenant isolation, checks the pool against the server's connection limit, and syncs the built-in catalogue when the
/// registry feature is on.
/// </summary>
internal sealed class RadiantStartup(
    IRadiantSchemaMigrator migrator,
    SchemaVersionCheck schemaCheck,
    RowLevelSecurityGuard guard,
    ConnectionCapacityCheck capacity,
    IServiceProvider services,
    IOptions<RadiantPostgresOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        else
        {
            // First: everything after this (the RLS check's SET ROLE, the catalogue sync) needs a migrated schema.
            await schemaCheck.EnsureCurrentAsync(cancellationToken);
        }

        if (options.Value.VerifyRowLevelSecurityOnStartup)
        {
            await guard.VerifyAsync(cancellationToken);
        }

        await capacity.CheckAsync(cancellationToken);

        // The registry is there only when the host enabled it (AddRegistry, AddPricing or AddScheduler).
        if (options.Value.SyncBuiltInCatalogOnStartup && services.GetService<IModelRegistry>() is { } registry)
        {
            await registry.SyncAsync(BuiltInCatalog.Catalog, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
