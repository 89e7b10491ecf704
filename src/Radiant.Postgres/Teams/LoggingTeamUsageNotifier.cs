using Microsoft.Extensions.Logging;
using Radiant.Teams;

namespace Radiant.Postgres.Teams;

/// <summary>The default notifier: a log entry. Hosts register their own <see cref="ITeamUsageNotifier"/> to do more.</summary>
internal sealed partial class LoggingTeamUsageNotifier(ILogger<LoggingTeamUsageNotifier> logger) : ITeamUsageNotifier
{
    public Task NotifyAsync(TeamUsageWarning warning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(warning);
        Log(warning.TeamId, warning.UserId, warning.ThresholdPercent, warning.TokensUsed, warning.TokensLimit);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Team {TeamId} usage warning: {Threshold} % reached ({TokensUsed} of {Limit} tokens; member {UserId})")]
    private partial void Log(Guid teamId, Guid? userId, int threshold, long tokensUsed, long limit);
}
