using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Radiant.Analytics;
using Radiant.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the tenant admins' usage analytics, each bounded by a range (<c>?range=24h|7d|30d|90d</c>, default 30d, or
    /// <c>?from=&amp;to=</c>, at most 400 days) and filtered by <c>teamId</c>, <c>modelId</c>, <c>providerId</c> and
    /// <c>domainMode</c>: <c>GET /api/admin/analytics/dashboard</c> (totals, series, distribution, performance),
    /// <c>.../totals</c>, <c>.../series</c>, <c>.../models</c>, <c>.../models/performance</c>,
    /// <c>.../users/top</c> and <c>.../users/models</c> (with <c>?limit=</c>, 1–500).
    /// </summary>
    public static RouteGroupBuilder MapRadiantAnalytics(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IUsageAnalyticsService>("Analytics", "AddAnalytics");
        var admin = group.MapAdminGroup();

        admin.MapGet("/api/admin/analytics/dashboard", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetDashboardAsync(http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), ct)))
            .WithName("GetUsageDashboard")
            .WithSummary("Totals with growth against the previous range, the time series, the model distribution and per-model performance, in one read.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/totals", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetTotalsAsync(http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), ct)))
            .WithName("GetUsageTotals")
            .WithSummary("Requests, tokens, cost, average and p95 latency, success rate and active users, with growth against the previous range.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/series", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetSeriesAsync(http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), ct)))
            .WithName("GetUsageSeries")
            .WithSummary("Requests, tokens and cost per hour (ranges up to 7 days) or UTC day, every bucket present.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/models", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetModelDistributionAsync(http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), ct)))
            .WithName("GetModelDistribution")
            .WithSummary("Requests, tokens, cost and share per model.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/models/performance", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetModelPerformanceAsync(http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), ct)))
            .WithName("GetModelPerformance")
            .WithSummary("Calls, average and p95 latency, time to first token, success rate and cost per model.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/users/top", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode, IntValue? limit,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetTopUsersAsync(
                    http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), limit?.Value ?? UsageAnalyticsLimits.DefaultLimit, ct)))
            .WithName("GetTopUsers")
            .WithSummary("The users who cost most in the range.")
            .ProducesValidationProblem();

        admin.MapGet("/api/admin/analytics/users/models", async (
                    TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode, IntValue? limit,
                    HttpContext http, IUsageAnalyticsService analytics, CancellationToken ct) =>
                TypedResults.Ok(await analytics.GetUserModelBreakdownAsync(
                    http.Caller(), Query(range, from, to, teamId, modelId, providerId, domainMode), limit?.Value ?? UsageAnalyticsLimits.DefaultLimit, ct)))
            .WithName("GetUserModelBreakdown")
            .WithSummary("Usage per user and model, the pairs that cost most first.")
            .ProducesValidationProblem();

        return group;
    }

    private static UsageAnalyticsQuery Query(
        TextValue? range, InstantValue? from, InstantValue? to, UuidValue? teamId, TextValue? modelId, TextValue? providerId, TextValue? domainMode) =>
        new(range?.Value, from?.Value, to?.Value, teamId?.Value, modelId?.Value, providerId?.Value, domainMode?.Value);
}
