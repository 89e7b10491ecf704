using Microsoft.Extensions.Logging;
using Radiant.Pricing;

namespace Radiant.Postgres.Pricing;

/// <summary>The default notifier: a log entry. Hosts register their own <see cref="IPriceChangeNotifier"/> to do more.</summary>
internal sealed partial class LoggingPriceChangeNotifier(ILogger<LoggingPriceChangeNotifier> logger) : IPriceChangeNotifier
{
    public Task NotifyAsync(PriceChangeNotification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        Log(notification.TenantId, notification.ModelId, notification.ChangePercent, notification.EffectiveFrom);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Price change notification for tenant {TenantId}: {ModelId} moved {ChangePercent:0.##} %, effective {EffectiveFrom:O}")]
    private partial void Log(Guid tenantId, string modelId, decimal changePercent, DateTimeOffset effectiveFrom);
}
