using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Radiant.Postgres.Hosting;

namespace Radiant.Postgres.Health;

/// <summary>
/// Reports whether the services' database answers a trivial query (the registration's failure status when it does
/// not) and whether this host's background workers keep up: one that has not completed a cycle within its allowance
/// (<see cref="WorkerHealth"/>) makes the result Degraded, naming the worker, since when, and its last error.
/// </summary>
internal sealed class RadiantPostgresHealthCheck(RadiantDataSources dataSources, WorkerHealth workers, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var statuses = workers.Read();
        var data = statuses.ToDictionary(
            s => s.Worker,
            s => (object)new Dictionary<string, object?>
            {
                ["late"] = s.Late,
                ["lastCompleted"] = s.LastCompleted,
                ["failingSince"] = s.FailingSince,
                ["lastError"] = s.LastError,
            },
            StringComparer.Ordinal);
        try
        {
            await using var command = dataSources.App.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL did not answer.", e, data);
        }

        var late = statuses.Where(s => s.Late).ToList();
        if (late.Count > 0)
        {
            var now = time.GetUtcNow();
            return HealthCheckResult.Degraded(
                $"PostgreSQL answered, but {string.Join("; ", late.Select(s => s.Describe(now)))}.",
                data: data);
        }

        return HealthCheckResult.Healthy(
            statuses.Count == 0 ? "PostgreSQL answered." : $"PostgreSQL answered; {statuses.Count} background worker(s) on time.",
            data);
    }
}
