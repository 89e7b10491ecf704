using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Radiant.Postgres.Hosting;

namespace Radiant.Postgres.Health;

/// <summary>Reports whether the services' database answers a trivial query.</summary>
internal sealed class RadiantPostgresHealthCheck(RadiantDataSources dataSources) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSources.App.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("PostgreSQL answered.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL did not answer.", e);
        }
    }
}
