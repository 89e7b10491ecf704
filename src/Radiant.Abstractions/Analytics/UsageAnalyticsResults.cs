using System.Text.Json.Serialization;

namespace Radiant.Analytics;

/// <summary>The size of a time-series bucket.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UsageBucket>))]
public enum UsageBucket
{
    /// <summary>One UTC hour (ranges up to 7 days).</summary>
    [JsonStringEnumMemberName("hour")]
    Hour,

    /// <summary>One UTC day (longer ranges).</summary>
    [JsonStringEnumMemberName("day")]
    Day,
}

/// <summary>The range a query was answered for, after rounding to its buckets, and the previous range of the same length.</summary>
/// <param name="Range">The preset asked for, or <c>custom</c>.</param>
/// <param name="From">Start (inclusive), on a bucket boundary.</param>
/// <param name="To">End (exclusive), on a bucket boundary.</param>
/// <param name="PreviousFrom">Start of the previous range, which ends at <paramref name="From"/> (growth compares with it).</param>
/// <param name="Bucket">The bucket size of the time series.</param>
public sealed record UsageRange(string Range, DateTimeOffset From, DateTimeOffset To, DateTimeOffset PreviousFrom, UsageBucket Bucket);

/// <summary>
/// Usage figures over a range. A request is one provider call (a fallback counts each attempt it made); latency
/// covers every call; the success rate is the share of calls that completed (neither failed nor cancelled).
/// </summary>
/// <param name="Requests">Provider calls.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Reply tokens.</param>
/// <param name="Cost">What the calls were charged, in dollars.</param>
/// <param name="AverageLatencyMs">Mean latency (null without calls).</param>
/// <param name="P95LatencyMs">95th-percentile latency from the rollups' histograms, within <see cref="LatencyHistogram.RelativeErrorBound"/> of the exact one.</param>
/// <param name="SuccessRate">Completed calls / calls, 0–1 (null without calls).</param>
/// <param name="ActiveUsers">Distinct users with at least one call.</param>
public sealed record UsageFigures(
    long Requests, long InputTokens, long OutputTokens, decimal Cost, double? AverageLatencyMs, double? P95LatencyMs, double? SuccessRate, long ActiveUsers);

/// <summary>
/// Change of each figure against the previous range: (current − previous) / previous, so 0.25 is +25 %. Null when the
/// previous figure is zero or absent (growth from nothing is not a number). Rates and latencies change the same way
/// (a success rate from 0.8 to 0.9 is +0.125).
/// </summary>
public sealed record UsageGrowth(
    double? Requests, double? InputTokens, double? OutputTokens, double? Cost, double? AverageLatencyMs, double? P95LatencyMs, double? SuccessRate, double? ActiveUsers);

/// <summary>Totals over the range and the previous one, with the growth between them.</summary>
public sealed record UsageTotals(UsageRange Range, UsageFigures Current, UsageFigures Previous, UsageGrowth Growth);

/// <summary>One bucket of the time series (every bucket of the range is present, empty ones with zeros).</summary>
public sealed record UsageSeriesPoint(DateTimeOffset Start, long Requests, long InputTokens, long OutputTokens, decimal Cost);

/// <summary>Requests, tokens and cost per bucket over the range.</summary>
public sealed record UsageSeries(UsageRange Range, IReadOnlyList<UsageSeriesPoint> Points);

/// <summary>A model's part of the range's usage.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="ProviderId">Its provider.</param>
/// <param name="Requests">Calls.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Reply tokens.</param>
/// <param name="Cost">Charged, in dollars.</param>
/// <param name="RequestShare">The model's calls / all calls, 0–1.</param>
/// <param name="CostShare">The model's cost / all cost, 0–1 (0 when nothing was charged).</param>
public sealed record ModelUsageShare(string ModelId, string ProviderId, long Requests, long InputTokens, long OutputTokens, decimal Cost, double RequestShare, double CostShare);

/// <summary>The models used in the range, most calls first.</summary>
public sealed record ModelDistribution(UsageRange Range, IReadOnlyList<ModelUsageShare> Models);

/// <summary>How a model performed in the range.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="ProviderId">Its provider.</param>
/// <param name="Requests">Calls.</param>
/// <param name="AverageLatencyMs">Mean latency.</param>
/// <param name="P95LatencyMs">95th-percentile latency (histogram, within the stated bound).</param>
/// <param name="AverageTimeToFirstTokenMs">Mean time to the first streamed token, over the calls that streamed one (null when none did).</param>
/// <param name="SuccessRate">Completed calls / calls.</param>
/// <param name="Cost">Charged, in dollars.</param>
public sealed record ModelPerformance(
    string ModelId, string ProviderId, long Requests, double AverageLatencyMs, double? P95LatencyMs, double? AverageTimeToFirstTokenMs, double SuccessRate, decimal Cost);

/// <summary>Per-model performance in the range, most calls first.</summary>
public sealed record ModelPerformanceReport(UsageRange Range, IReadOnlyList<ModelPerformance> Models);

/// <summary>A user's usage in the range.</summary>
public sealed record UserUsage(Guid UserId, long Requests, long InputTokens, long OutputTokens, decimal Cost, DateTimeOffset LastActiveAt);

/// <summary>The users who cost most in the range, most cost first (then most calls, then user id).</summary>
public sealed record TopUsers(UsageRange Range, IReadOnlyList<UserUsage> Users);

/// <summary>A user's usage of one model in the range.</summary>
public sealed record UserModelUsage(Guid UserId, string ModelId, string ProviderId, long Requests, long InputTokens, long OutputTokens, decimal Cost);

/// <summary>Usage per user and model, most cost first.</summary>
public sealed record UserModelBreakdown(UsageRange Range, IReadOnlyList<UserModelUsage> Rows);

/// <summary>What the analytics dashboard shows, read in one transaction: totals with growth, the time series, the model distribution and per-model performance.</summary>
public sealed record UsageDashboard(UsageTotals Totals, UsageSeries Series, ModelDistribution Distribution, ModelPerformanceReport Performance);
