using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Radiant.Postgres.Health;
using Radiant.Postgres.Hosting;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;

namespace Radiant.Postgres.Teams;

/// <summary>
/// Closes team periods that have ended, on every instance; the row lock taken with SKIP LOCKED and the re-check of
/// the period end make each period close exactly once. Usage recorded after a period's end rolls it over on the
/// spot, so correctness never waits for this worker; it keeps idle plans' history current. While the database is
/// unavailable a round tries again with <see cref="OutageBackoff"/> (so it completes within a second of the
/// database coming back, not at the next tick); any other failure is logged and the next tick tries again. Only the
/// host's stop ends the worker.
/// </summary>
internal sealed partial class TeamPeriodWorker : BackgroundService
{
    private readonly ITeamService _teams;
    private readonly IOptions<RadiantPostgresOptions> _options;
    private readonly TimeProvider _time;
    private readonly WorkerHealth _health;
    private readonly ILogger<TeamPeriodWorker> _logger;
    private readonly ResiliencePipeline _retry;
    private WorkerHealthReporter? _reporter;

    public TeamPeriodWorker(ITeamService teams, WorkerHealth health, IOptions<RadiantPostgresOptions> options, TimeProvider time, ILogger<TeamPeriodWorker> logger)
    {
        _teams = teams;
        _health = health;
        _options = options;
        _time = time;
        _logger = logger;
        _retry = OutageBackoff.Create(time, (e, delay) =>
        {
            _reporter?.Failed(e);
            LogFailed(e, delay);
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Value.RunTeamPeriodWorker)
        {
            return;
        }

        var interval = _options.Value.TeamPeriodCheckInterval;
        using var reporter = _reporter = _health.Track("team period worker", interval);
        using var timer = new PeriodicTimer(interval, _time);
        do
        {
            try
            {
                var rolled = await _retry.ExecuteAsync(ct => new ValueTask<int>(_teams.RollOverDuePeriodsAsync(ct)), stoppingToken);
                reporter.Completed();
                if (rolled > 0)
                {
                    LogRolled(rolled);
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // The host is stopping: whatever the cut-short call threw, this is the end.
                return;
            }
            catch (Exception e)
            {
                // Anything else must not escape either: an exception leaving ExecuteAsync stops the whole host
                // (BackgroundService's default), and the next tick may well succeed.
                reporter.Failed(e);
                LogUnexpected(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} team period(s)")]
    private partial void LogRolled(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Team period roll-over failed; retrying in {Delay}")]
    private partial void LogFailed(Exception? exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Team period roll-over failed unexpectedly; the worker keeps running and retries at the next tick")]
    private partial void LogUnexpected(Exception exception);
}
