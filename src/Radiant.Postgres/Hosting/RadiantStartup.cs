using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Radiant.Postgres.Migrations;

namespace Radiant.Postgres.Hosting;

/// <summary>Migrates (when enabled) and verifies tenant isolation before the host starts serving.</summary>
internal sealed class RadiantStartup(
    IRadiantSchemaMigrator migrator,
    RowLevelSecurityGuard guard,
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
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
