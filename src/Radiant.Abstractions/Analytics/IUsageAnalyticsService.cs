using Radiant.Errors;
using Radiant.Tenancy;

namespace Radiant.Analytics;

/// <summary>
/// Usage analytics of the caller's tenant, read from rollups the usage records maintain as they are written
/// (per hour and per UTC day), so a dashboard reads a few hundred rows whatever the number of records. Every method
/// is for tenant admins (others get <see cref="RadiantForbiddenException"/>), reads the caller's tenant only, and is
/// bounded by the query's range; a bad range, filter or limit is a <see cref="RadiantValidationException"/>.
/// </summary>
public interface IUsageAnalyticsService
{
    /// <summary>Totals, time series, model distribution and per-model performance, in one transaction.</summary>
    Task<UsageDashboard> GetDashboardAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Totals of the range and the previous one, with growth.</summary>
    Task<UsageTotals> GetTotalsAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Requests, tokens and cost per hour (ranges up to 7 days) or UTC day, every bucket present.</summary>
    Task<UsageSeries> GetSeriesAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Requests, tokens, cost and share per model.</summary>
    Task<ModelDistribution> GetModelDistributionAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Calls, average and p95 latency, time to first token, success rate and cost per model.</summary>
    Task<ModelPerformanceReport> GetModelPerformanceAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="limit"/> users (1–500) who cost most in the range.</summary>
    Task<TopUsers> GetTopUsersAsync(RadiantCaller caller, UsageAnalyticsQuery query, int limit = UsageAnalyticsLimits.DefaultLimit, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="limit"/> (1–500) user × model pairs that cost most in the range.</summary>
    Task<UserModelBreakdown> GetUserModelBreakdownAsync(RadiantCaller caller, UsageAnalyticsQuery query, int limit = UsageAnalyticsLimits.DefaultLimit, CancellationToken cancellationToken = default);
}
