using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Postgres.Health;
using Radiant.Postgres.Migrations;
using Radiant.Postgres.Registry;
using Radiant.Postgres.Tenancy;
using Radiant.Registry;

namespace Radiant.Postgres.Hosting;

/// <summary>
/// Before the host serves: migrates (when enabled; otherwise checks that the schema is migrated and current), verifies
/// tenant isolation and checks the pool against the server's connection limit. The built-in catalogue is synced before
/// serving only on a database that has none yet (nothing could be priced without it); otherwise the sync runs in the
/// background once the host serves, because carrying a list-price change to every tenant grows with the tenants
/// (seconds at 10,000) and the stored catalogue prices correctly meanwhile — the sync is one transaction, and the
/// pricing engine reloads on its NOTIFY.
/// </summary>
internal sealed partial class RadiantStartup(
    IRadiantSchemaMigrator migrator,
    SchemaVersionCheck schemaCheck,
    RowLevelSecurityGuard guard,
    ConnectionCapacityCheck capacity,
    IServiceProvider services,
    IOptions<RadiantPostgresOptions> options,
    ILogger<RadiantStartup> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _backgroundSync = Task.CompletedTask;
    private bool _disposed;

    /// <summary>The catalogue sync started after start-up (completed when there was none); tests wait on it.</summary>
    internal Task BackgroundSync => _backgroundSync;

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
        if (options.Value.SyncBuiltInCatalogOnStartup && services.GetService<IModelRegistry>() is PostgresModelRegistry registry)
        {
            if (await registry.HasCatalogAsync(cancellationToken))
            {
                _backgroundSync = SyncInBackgroundAsync(registry, _stopping.Token);
            }
            else
            {
                await registry.SyncAsync(BuiltInCatalog.Catalog, cancellationToken);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be disposed without being stopped first (a failed start, a test factory): then there is nothing to stop.
        if (_disposed)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _backgroundSync.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _disposed = true;
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>
    /// Syncs once, waiting out database outages like every worker; a failure that retrying cannot cure (the login may
    /// not write the catalogue) is logged and keeps the host Degraded on <c>/health</c> with the reason.
    /// </summary>
    private async Task SyncInBackgroundAsync(PostgresModelRegistry registry, CancellationToken stopping)
    {
        await Task.Yield();
        var health = services.GetRequiredService<WorkerHealth>();
        var reporter = health.Track("catalog-sync", interval: null);
        var retry = OutageBackoff.Create(services.GetService<TimeProvider>() ?? TimeProvider.System, (e, delay) =>
        {
            reporter.Failed(e);
            LogSyncRetry(e, delay);
        });
        try
        {
            await retry.ExecuteAsync(async token => await registry.SyncAsync(BuiltInCatalog.Catalog, token), stopping);
            reporter.Dispose();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            reporter.Dispose();
        }
#pragma warning disable CA1031 // A background task has no caller to throw to: the failure goes to the log and /health.
        catch (Exception e)
#pragma warning restore CA1031
        {
            reporter.Failed(e);
            LogSyncFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The built-in catalogue sync could not reach the database; trying again in {Delay}")]
    private partial void LogSyncRetry(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "The built-in catalogue sync failed; the stored catalogue stays in use until the next start")]
    private partial void LogSyncFailed(Exception exception);
}
