using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Analytics;
using Radiant.Postgres.Health;
using Radiant.Postgres.Tenancy;

namespace Radiant.Postgres.Analytics;

/// <summary>
/// Keeps the usage records' monthly partitions: creates the current month and the next two (so records never land in
/// the default partition) and drops the months past <see cref="RadiantAnalyticsOptions.RetentionMonths"/> whole,
/// with their idempotency keys (<c>maintain_usage_partitions</c>, migration 0011); and deletes the hourly rollups
/// older than <see cref="RadiantAnalyticsOptions.HourlyRollupDays"/> (<c>prune_hourly_usage_rollups</c>, migration
/// 0013) — as the schema owner. Runs at start
/// and every <see cref="RadiantAnalyticsOptions.MaintenanceInterval"/> on every instance (the function takes its locks
/// and is idempotent). Waits out an outage with <see cref="OutageBackoff"/>; any other failure is logged and the next
/// tick tries again.
/// </summary>
internal sealed partial class UsagePartitionWorker : BackgroundService
{
    private readonly RadiantDb _db;
    private readonly IOptions<RadiantAnalyticsOptions> _options;
    private readonly TimeProvider _time;
    private readonly WorkerHealth _health;
    private readonly ILogger<UsagePartitionWorker> _logger;
    private readonly ResiliencePipeline _retry;
    private readonly string _maintainSql;
    private readonly string _pruneSql;
    private WorkerHealthReporter? _reporter;

    public UsagePartitionWorker(RadiantDb db, WorkerHealth health, IOptions<RadiantAnalyticsOptions> options, TimeProvider time, ILogger<UsagePartitionWorker> logger)
    {
        _db = db;
        _health = health;
        _options = options;
        _time = time;
        _logger = logger;
        _maintainSql = db.Sql("SELECT action, partition_name FROM {schema}.maintain_usage_partitions(@RetentionMonths)");
        _pruneSql = db.Sql("SELECT {schema}.prune_hourly_usage_rollups(@HourlyRollupDays)");
        _retry = OutageBackoff.Create(time, (e, delay) =>
        {
            _reporter?.Failed(e);
            LogFailed(e, delay);
        });
    }

    /// <summary>One round: what was created and dropped (hourly rollups pruned are counted in the log, not returned).</summary>
    public async Task<IReadOnlyList<(string Action, string PartitionName)>> MaintainAsync(CancellationToken cancellationToken)
    {
        var options = _options.Value;
        var (changes, pruned) = await _db.AsSchemaOwnerAsync(async (connection, transaction) =>
        {
            // Instances run it one at a time (two creating the same partition would collide).
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtext('radiant usage partitions'))", transaction: transaction, cancellationToken: cancellationToken));
            var changes = (await connection.QueryAsync<(string, string)>(new CommandDefinition(
                _maintainSql, new { options.RetentionMonths }, transaction, cancellationToken: cancellationToken))).ToList();
            var pruned = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                _pruneSql, new { options.HourlyRollupDays }, transaction, cancellationToken: cancellationToken));
            return (changes, pruned);
        },
            cancellationToken);
        if (pruned > 0)
        {
            LogPruned(pruned, options.HourlyRollupDays);
        }

        return changes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.Value.MaintenanceInterval;
        using var reporter = _reporter = _health.Track("usage partition worker", interval);
        using var timer = new PeriodicTimer(interval, _time);
        do
        {
            try
            {
                var changes = await _retry.ExecuteAsync(ct => new ValueTask<IReadOnlyList<(string, string)>>(MaintainAsync(ct)), stoppingToken);
                reporter.Completed();
                foreach (var (action, partition) in changes)
                {
                    LogChanged(action, partition);
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // An exception leaving ExecuteAsync would stop the host; the next tick may well succeed.
                reporter.Failed(e);
                LogUnexpected(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Usage records partition {Partition}: {Action}")]
    private partial void LogChanged(string action, string partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Rows} hourly usage rollup rows older than {Days} days")]
    private partial void LogPruned(long rows, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Usage partition maintenance failed; retrying in {Delay}")]
    private partial void LogFailed(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Usage partition maintenance failed unexpectedly; the worker keeps running and retries at the next tick")]
    private partial void LogUnexpected(Exception exception);
}
