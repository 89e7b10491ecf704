using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Teams;

namespace Radiant.Postgres.Teams;

/// <summary>
/// Closes team periods that have ended and marks expired team reservations (which stop counting at their expiry
/// whether marked or not), on every instance; the row lock taken with SKIP LOCKED and the re-check of
/// the period end make each period close exactly once. Usage recorded after a period's end rolls it over on the
/// spot, so correctness never waits for this worker; it keeps idle plans' history current. A failed round is logged
/// and the next tick tries again; only the host's stop ends the worker.
/// </summary>
internal sealed partial class TeamPeriodWorker(
    ITeamService teams,
    TeamMetering metering,
    IOptions<RadiantPostgresOptions> options,
    TimeProvider time,
    ILogger<TeamPeriodWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunTeamPeriodWorker)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.TeamPeriodCheckInterval, time);
        do
        {
            try
            {
                var rolled = await teams.RollOverDuePeriodsAsync(stoppingToken);
                if (rolled > 0)
                {
                    LogRolled(rolled);
                }

                var expired = await metering.ExpireReservationsAsync(stoppingToken);
                if (expired > 0)
                {
                    LogExpired(expired);
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // The host is stopping: whatever the cut-short call threw, this is the end.
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogFailed(e);
            }
            catch (Exception e)
            {
                // Anything else must not escape either: an exception leaving ExecuteAsync stops the whole host
                // (BackgroundService's default), and the next tick may well succeed.
                LogUnexpected(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} team period(s)")]
    private partial void LogRolled(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} expired team reservation(s)")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Team period roll-over failed; retrying at the next tick")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Team period roll-over failed unexpectedly; the worker keeps running and retries at the next tick")]
    private partial void LogUnexpected(Exception exception);
}
