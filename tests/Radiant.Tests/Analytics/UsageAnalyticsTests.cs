using Radiant.Analytics;
using Radiant.Errors;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Analytics.AnalyticsFixture;

namespace Radiant.Tests.Analytics;

/// <summary>Every figure of the analytics on known records, at a pinned "now" (2030-03-15 10:30 UTC).</summary>
public sealed class UsageAnalyticsTests(AnalyticsFixture fx) : IClassFixture<AnalyticsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset At(int month, int day, int hour = 12, int minute = 0) => new(2030, month, day, hour, minute, 0, TimeSpan.Zero);

    /// <summary>
    /// In the 30 days to 2030-03-16: A makes 3 gpt-4o calls on 03-10 (100/200/300 ms) and one claude call on 03-15 at
    /// 09:00 (1000 ms, first token at 400 ms); B one failed claude call on 03-10 (50 ms). In the 30 days before, C makes
    /// 2 gpt-4o calls on 02-01.
    /// </summary>
    private async Task<(Guid Tenant, Guid A, Guid B, Guid C, Guid Team)> SeedAsync()
    {
        var a = await fx.NewUserAsync();
        var tenant = a.TenantId;
        var b = await fx.NewUserAsync(tenant);
        var c = await fx.NewUserAsync(tenant);
        await fx.NewUserAsync(tenant); // a user with no usage
        var team = Guid.NewGuid();
        await fx.AddAsync(
            tenant,
            new Rec(a.UserId, At(3, 10), LatencyMs: 100, TeamId: team, Mode: "code"),
            new Rec(a.UserId, At(3, 10), LatencyMs: 200, TeamId: team, Mode: "code"),
            new Rec(a.UserId, At(3, 10), LatencyMs: 300, Mode: "legal"),
            new Rec(b.UserId, At(3, 10), Model: "claude-4-sonnet", Provider: "anthropic", LatencyMs: 50, Charge: 0m, Output: 0, Outcome: "failed"),
            new Rec(a.UserId, At(3, 15, 9), Model: "claude-4-sonnet", Provider: "anthropic", LatencyMs: 1000, FirstTokenMs: 400, Charge: 0.1m),
            new Rec(c.UserId, At(2, 1), LatencyMs: 100, Charge: 0.2m),
            new Rec(c.UserId, At(2, 1), LatencyMs: 100, Charge: 0.2m));
        return (tenant, a.UserId, b.UserId, c.UserId, team);
    }

    [Fact]
    public async Task Totals_compare_the_range_with_the_previous_one_of_the_same_length()
    {
        var (tenant, _, _, _, _) = await SeedAsync();

        var totals = await fx.Analytics.GetTotalsAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery("30d"), Ct);

        Assert.Equal(new UsageRange("30d", At(2, 14, 0), At(3, 16, 0), At(1, 15, 0), UsageBucket.Day), totals.Range);
        Assert.Equal(5, totals.Current.Requests);
        Assert.Equal(50, totals.Current.InputTokens);
        Assert.Equal(80, totals.Current.OutputTokens);
        Assert.Equal(0.4m, totals.Current.Cost);
        Assert.Equal(330, totals.Current.AverageLatencyMs);
        Assert.Equal(0.8, totals.Current.SuccessRate);
        Assert.Equal(2, totals.Current.ActiveUsers);
        Within(1000, totals.Current.P95LatencyMs);

        Assert.Equal(2, totals.Previous.Requests);
        Assert.Equal(0.4m, totals.Previous.Cost);
        Assert.Equal(1, totals.Previous.ActiveUsers);
        Assert.Equal(1.0, totals.Previous.SuccessRate);

        Assert.Equal(1.5, totals.Growth.Requests);
        Assert.Equal(0, totals.Growth.Cost);
        Assert.Equal(1.0, totals.Growth.ActiveUsers);
        Assert.Equal(-0.2, totals.Growth.SuccessRate!.Value, 9);
    }

    [Fact]
    public async Task Growth_from_nothing_is_null_and_an_empty_range_is_zeros()
    {
        var (tenant, _, _, _, _) = await SeedAsync();

        var totals = await fx.Analytics.GetTotalsAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery(From: At(3, 1), To: At(3, 20)), Ct);
        Assert.Equal(5, totals.Current.Requests);
        Assert.Equal(0, totals.Previous.Requests);
        Assert.Null(totals.Growth.Requests);
        Assert.Null(totals.Previous.P95LatencyMs);
        Assert.Null(totals.Previous.SuccessRate);

        var empty = await fx.Analytics.GetTotalsAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery(From: At(1, 1), To: At(1, 2)), Ct);
        Assert.Equal(new UsageFigures(0, 0, 0, 0m, null, null, null, 0), empty.Current);
    }

    [Fact]
    public async Task The_series_has_every_bucket_of_the_range_with_empty_ones_as_zeros()
    {
        var (tenant, _, _, _, _) = await SeedAsync();

        var days = await fx.Analytics.GetSeriesAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery("30d"), Ct);
        Assert.Equal(30, days.Points.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => At(2, 14, 0).AddDays(i)), days.Points.Select(p => p.Start));
        Assert.Equal(new UsageSeriesPoint(At(3, 10, 0), 4, 40, 60, 0.3m), days.Points.Single(p => p.Start == At(3, 10, 0)));
        Assert.Equal(new UsageSeriesPoint(At(3, 15, 0), 1, 10, 20, 0.1m), days.Points.Single(p => p.Start == At(3, 15, 0)));
        Assert.Equal(28, days.Points.Count(p => p == new UsageSeriesPoint(p.Start, 0, 0, 0, 0m)));

        var hours = await fx.Analytics.GetSeriesAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery("24h"), Ct);
        Assert.Equal(UsageBucket.Hour, hours.Range.Bucket);
        Assert.Equal(At(3, 14, 11), hours.Range.From);
        Assert.Equal(At(3, 15, 11), hours.Range.To);
        Assert.Equal(24, hours.Points.Count);
        Assert.Equal(new UsageSeriesPoint(At(3, 15, 9), 1, 10, 20, 0.1m), hours.Points.Single(p => p.Requests > 0));

        var week = await fx.Analytics.GetSeriesAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery("7d"), Ct);
        Assert.Equal(168, week.Points.Count);
        Assert.Equal(5, week.Points.Sum(p => p.Requests));
    }

    [Fact]
    public async Task Models_are_distributed_and_measured_per_model()
    {
        var (tenant, _, _, _, _) = await SeedAsync();
        var admin = TestCallers.Admin(tenant);

        var distribution = await fx.Analytics.GetModelDistributionAsync(admin, new UsageAnalyticsQuery("30d"), Ct);
        Assert.Equal(["gpt-4o", "claude-4-sonnet"], distribution.Models.Select(m => m.ModelId));
        Assert.Equal(new ModelUsageShare("gpt-4o", "openai", 3, 30, 60, 0.3m, 0.6, 0.75), distribution.Models[0]);
        Assert.Equal(0.4, distribution.Models[1].RequestShare, 9);

        var performance = await fx.Analytics.GetModelPerformanceAsync(admin, new UsageAnalyticsQuery("30d"), Ct);
        var claude = performance.Models.Single(m => m.ModelId == "claude-4-sonnet");
        Assert.Equal(2, claude.Requests);
        Assert.Equal(525, claude.AverageLatencyMs);
        Assert.Equal(400, claude.AverageTimeToFirstTokenMs);
        Assert.Equal(0.5, claude.SuccessRate);
        Assert.Equal(0.1m, claude.Cost);
        Within(1000, claude.P95LatencyMs);
        var gpt = performance.Models.Single(m => m.ModelId == "gpt-4o");
        Assert.Null(gpt.AverageTimeToFirstTokenMs);
        Within(300, gpt.P95LatencyMs);
    }

    [Fact]
    public async Task Users_are_ranked_by_cost_and_broken_down_by_model()
    {
        var (tenant, a, b, _, _) = await SeedAsync();
        var admin = TestCallers.Admin(tenant);

        foreach (var range in new[] { "30d", "7d" })
        {
            var top = await fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery(range), 10, Ct);
            Assert.Equal([a, b], top.Users.Select(u => u.UserId));
            Assert.Equal(new UserUsage(a, 4, 40, 80, 0.4m, At(3, 15, 9)), top.Users[0]);

            var breakdown = await fx.Analytics.GetUserModelBreakdownAsync(admin, new UsageAnalyticsQuery(range), 10, Ct);
            Assert.Equal(
                [(a, "gpt-4o", 3L, 0.3m), (a, "claude-4-sonnet", 1L, 0.1m), (b, "claude-4-sonnet", 1L, 0m)],
                breakdown.Rows.Select(r => (r.UserId, r.ModelId, r.Requests, r.Cost)));
        }

        var first = await fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery("30d"), 1, Ct);
        Assert.Equal([a], first.Users.Select(u => u.UserId));
    }

    [Fact]
    public async Task Filters_narrow_every_figure()
    {
        var (tenant, a, _, _, team) = await SeedAsync();
        var admin = TestCallers.Admin(tenant);

        var byTeam = await fx.Analytics.GetDashboardAsync(admin, new UsageAnalyticsQuery("30d", TeamId: team), Ct);
        Assert.Equal(2, byTeam.Totals.Current.Requests);
        Assert.Equal(1, byTeam.Totals.Current.ActiveUsers);
        Assert.Equal(2, byTeam.Series.Points.Sum(p => p.Requests));

        var byMode = await fx.Analytics.GetTotalsAsync(admin, new UsageAnalyticsQuery("7d", DomainMode: "legal"), Ct);
        Assert.Equal(1, byMode.Current.Requests);
        Assert.Equal(1, byMode.Current.ActiveUsers);

        var byModel = await fx.Analytics.GetTotalsAsync(admin, new UsageAnalyticsQuery("30d", ModelId: "claude-4-sonnet"), Ct);
        Assert.Equal(2, byModel.Current.Requests);
        Assert.Equal(0, byModel.Previous.Requests);

        var byProvider = await fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery("30d", ProviderId: "openai"), 10, Ct);
        Assert.Equal([a], byProvider.Users.Select(u => u.UserId));
    }

    [Fact]
    public async Task Another_tenant_sees_none_of_it_and_only_admins_may_read()
    {
        var (tenant, a, _, _, _) = await SeedAsync();
        var stranger = await fx.NewUserAsync();

        var totals = await fx.Analytics.GetDashboardAsync(TestCallers.Admin(stranger.TenantId), new UsageAnalyticsQuery("90d"), Ct);
        Assert.Equal(0, totals.Totals.Current.Requests);
        Assert.Empty(totals.Distribution.Models);
        Assert.Empty((await fx.Analytics.GetTopUsersAsync(TestCallers.Admin(stranger.TenantId), new UsageAnalyticsQuery("90d"), 10, Ct)).Users);

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => fx.Analytics.GetTotalsAsync(new RadiantCaller(tenant, a), new UsageAnalyticsQuery(), Ct));
    }

    [Theory]
    [InlineData("range", "1y", null, null, null)]
    [InlineData("range", "7d", "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", null)]
    [InlineData("range", "custom", null, null, null)]
    [InlineData("to", null, "2030-01-01T00:00:00Z", null, null)]
    [InlineData("to", null, "2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z", null)]
    [InlineData("to", null, "2029-01-01T00:00:00Z", "2030-02-06T00:00:00Z", null)]
    [InlineData("domainMode", null, null, null, "poetry")]
    public async Task Bad_ranges_and_filters_are_refused_naming_the_field(string field, string? range, string? from, string? to, string? mode)
    {
        var admin = await fx.NewUserAsync();
        var query = new UsageAnalyticsQuery(range, from is null ? null : DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
            to is null ? null : DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture), DomainMode: mode);
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => fx.Analytics.GetDashboardAsync(TestCallers.Admin(admin.TenantId), query, Ct));
        Assert.Contains(field, error.Errors.Keys);
    }

    [Fact]
    public async Task A_list_limit_outside_1_to_500_is_refused()
    {
        var admin = TestCallers.Admin(Guid.NewGuid());
        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery(), 0, Ct));
        Assert.Contains("limit", error.Errors.Keys);
        await Assert.ThrowsAsync<RadiantValidationException>(() => fx.Analytics.GetUserModelBreakdownAsync(admin, new UsageAnalyticsQuery(), 501, Ct));
    }

    [Fact]
    public async Task A_custom_range_is_rounded_out_to_its_buckets()
    {
        var admin = TestCallers.Admin(Guid.NewGuid());
        var hours = await fx.Analytics.GetSeriesAsync(admin, new UsageAnalyticsQuery(From: At(3, 1, 10, 20), To: At(3, 1, 12, 5)), Ct);
        Assert.Equal(new UsageRange("custom", At(3, 1, 10), At(3, 1, 13), At(3, 1, 7), UsageBucket.Hour), hours.Range);
        Assert.Equal(3, hours.Points.Count);

        var days = await fx.Analytics.GetSeriesAsync(admin, new UsageAnalyticsQuery(From: At(1, 1, 10), To: At(3, 1, 1)), Ct);
        Assert.Equal(new UsageRange("custom", At(1, 1, 0), At(3, 2, 0), At(1, 1, 0).AddDays(-60), UsageBucket.Day), days.Range);
        Assert.Equal(60, days.Points.Count);
    }

    private static void Within(double exact, double? estimate)
    {
        Assert.NotNull(estimate);
        Assert.True(Math.Abs(estimate.Value - exact) <= (exact * LatencyHistogram.RelativeErrorBound) + 1e-9, $"{estimate} is not within {LatencyHistogram.RelativeErrorBound:P2} of {exact}");
    }
}
