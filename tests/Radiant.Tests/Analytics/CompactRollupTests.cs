using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Analytics;
using Radiant.Postgres.Analytics;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Analytics.AnalyticsFixture;

namespace Radiant.Tests.Analytics;

/// <summary>
/// Migration 0013: sparse latency histograms, and hourly rollups kept for a window only — an hour range before it is
/// answered from the records.
/// </summary>
public sealed class CompactRollupTests(AnalyticsFixture fx) : IClassFixture<AnalyticsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(42)]
    public async Task Sparse_histograms_count_every_latency_in_its_bucket_and_merge_like_the_union_of_their_latencies(int seed)
    {
        var random = new Random(seed);
        int[] Latencies() => Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(4) == 0 ? 0 : (int)Math.Exp(random.NextDouble() * 16)).ToArray();
        var (a, b) = (Latencies(), Latencies());
        await using var connection = await fx.OpenOwnerConnectionAsync();
        static string Of(string latencies) =>
            $"radiant.usage_histogram_of(ARRAY(SELECT radiant.usage_latency_bucket(x) FROM unnest({latencies}::int[]) x), ARRAY(SELECT 1::bigint FROM unnest({latencies}::int[])))";

        var (ofA, merged, ofUnion) = await connection.QuerySingleAsync<(long[], long[], long[])>(
            $"SELECT {Of("@a")}, radiant.usage_histogram_add({Of("@a")}, {Of("@b")}), {Of("@union")}",
            new { a, b, union = a.Concat(b).ToArray() });

        Assert.Equal(Dense(a), Decode(ofA));
        Assert.Equal(ofUnion, merged); // one canonical form: non-empty buckets only, ascending
        Assert.Equal(Dense(a.Concat(b)), Decode(merged));
        Assert.All(merged, element => Assert.True(element / 128 > 0));
        Assert.Equal(merged.Select(e => e % 128).Order(), merged.Select(e => e % 128));
    }

    [Fact]
    public async Task An_hour_range_before_the_hourly_window_is_answered_from_the_records_and_one_inside_it_from_the_rollups()
    {
        var user = await fx.NewUserAsync();
        var old = Now.AddDays(-50); // before the 35-day window
        var recent = Now.AddDays(-3);
        await fx.AddAsync(
            user.TenantId,
            new Rec(user.UserId, old, LatencyMs: 120, Charge: 0.25m),
            new Rec(user.UserId, old.AddHours(5), LatencyMs: 900, Charge: 0.5m, Outcome: "failed"),
            new Rec(user.UserId, recent, LatencyMs: 300, Charge: 1m));
        // As the maintenance worker would leave it: no hourly rollups before the window (the records stay).
        await using (var connection = await fx.OpenOwnerConnectionAsync())
        {
            await connection.ExecuteAsync(
                "DELETE FROM radiant.usage_rollup_model_hourly WHERE tenant_id = @tenant; DELETE FROM radiant.usage_rollup_segment_hourly WHERE tenant_id = @tenant",
                new { tenant = user.TenantId });
        }

        var admin = TestCallers.Admin(user.TenantId);
        var before = await fx.Analytics.GetTotalsAsync(admin, new UsageAnalyticsQuery(From: old.AddHours(-1), To: old.AddDays(2)), Ct);
        var series = await fx.Analytics.GetSeriesAsync(admin, new UsageAnalyticsQuery(From: old.AddHours(-1), To: old.AddDays(2)), Ct);
        var inside = await fx.Analytics.GetTotalsAsync(admin, new UsageAnalyticsQuery(From: recent.AddHours(-1), To: recent.AddDays(2)), Ct);

        Assert.Equal(UsageBucket.Hour, before.Range.Bucket);
        Assert.Equal((2L, 0.75m, 0.5), (before.Current.Requests, before.Current.Cost, before.Current.SuccessRate));
        Assert.InRange(before.Current.P95LatencyMs!.Value, 900 * (1 - LatencyHistogram.RelativeErrorBound), 900 * (1 + LatencyHistogram.RelativeErrorBound));
        Assert.Equal(2, series.Points.Count(p => p.Requests == 1));
        // Inside the window the hourly rollups are read: deleted above, so nothing shows.
        Assert.Equal(0, inside.Current.Requests);
    }

    [Fact]
    public async Task Maintenance_deletes_hourly_rollups_older_than_the_window_and_expired_keys_and_keeps_the_daily_rollups()
    {
        var user = await fx.NewUserAsync();
        var days = new RadiantAnalyticsOptions().HourlyRollupDays;
        var outside = DateTimeOffset.UtcNow.AddDays(-(days + 5));
        var inside = DateTimeOffset.UtcNow.AddDays(-2);
        await fx.AddAsync(user.TenantId, new Rec(user.UserId, outside), new Rec(user.UserId, inside, Mode: "code"));
        await using var connection = await fx.OpenOwnerConnectionAsync();
        // An idempotency key older than the records' retention (13 months) goes with its month.
        await connection.ExecuteAsync(
            "INSERT INTO radiant.usage_record_keys (tenant_id, request_id, attempt, answered, created_at) VALUES (@tenant, 'expired', 1, true, now() - interval '3 years'), (@tenant, 'kept', 1, true, now())",
            new { tenant = user.TenantId });

        await fx.Services.GetRequiredService<UsagePartitionWorker>().MaintainAsync(Ct);

        long Count(string table) => connection.ExecuteScalar<long>(
            $"SELECT coalesce(sum(requests), 0)::bigint FROM radiant.{table} WHERE tenant_id = @tenant", new { tenant = user.TenantId });
        Assert.Equal((1L, 1L), (Count("usage_rollup_model_hourly"), Count("usage_rollup_segment_hourly")));
        Assert.Equal((2L, 2L), (Count("usage_rollup_model_daily"), Count("usage_rollup_segment_daily")));
        Assert.Equal(2L, connection.ExecuteScalar<long>("SELECT count(*) FROM radiant.usage_records WHERE tenant_id = @tenant", new { tenant = user.TenantId }));
        Assert.Equal(["kept"], connection.Query<string>("SELECT request_id FROM radiant.usage_record_keys WHERE tenant_id = @tenant", new { tenant = user.TenantId }));
    }

    [Fact]
    public async Task User_figures_of_a_day_range_filtered_by_domain_mode_come_from_the_records()
    {
        var a = await fx.NewUserAsync();
        var b = await fx.NewUserAsync(a.TenantId);
        var day = Now.AddDays(-10);
        await fx.AddAsync(
            a.TenantId,
            new Rec(a.UserId, day, Mode: "code", Charge: 1m),
            new Rec(a.UserId, day.AddHours(1), Mode: "code", Charge: 1m),
            new Rec(a.UserId, day.AddHours(2), Mode: "legal", Charge: 0.5m),
            new Rec(b.UserId, day, Mode: "legal", Charge: 2m));
        var admin = TestCallers.Admin(a.TenantId);

        var legal = await fx.Analytics.GetTotalsAsync(admin, new UsageAnalyticsQuery("30d", DomainMode: "legal"), Ct);
        var legalUsers = await fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery("30d", DomainMode: "legal"), 10, Ct);
        var code = await fx.Analytics.GetUserModelBreakdownAsync(admin, new UsageAnalyticsQuery("30d", DomainMode: "code"), 10, Ct);
        var all = await fx.Analytics.GetTopUsersAsync(admin, new UsageAnalyticsQuery("30d"), 10, Ct);

        Assert.Equal(UsageBucket.Day, legal.Range.Bucket);
        Assert.Equal((2L, 2L), (legal.Current.Requests, legal.Current.ActiveUsers));
        Assert.Equal([(b.UserId, 1L, 2m), (a.UserId, 1L, 0.5m)], legalUsers.Users.Select(u => (u.UserId, u.Requests, u.Cost)));
        Assert.Equal([(a.UserId, "gpt-4o", 2L, 2m)], code.Rows.Select(r => (r.UserId, r.ModelId, r.Requests, r.Cost)));
        Assert.Equal([(a.UserId, 3L, 2.5m), (b.UserId, 1L, 2m)], all.Users.Select(u => (u.UserId, u.Requests, u.Cost)));
    }

    private static long[] Dense(IEnumerable<int> latencies)
    {
        var counts = new long[LatencyHistogram.BucketCount];
        foreach (var latency in latencies)
        {
            counts[LatencyHistogram.BucketOf(latency)]++;
        }

        return counts;
    }

    private static long[] Decode(long[] sparse)
    {
        var counts = new long[LatencyHistogram.BucketCount];
        foreach (var element in sparse)
        {
            counts[element % 128] += element / 128;
        }

        return counts;
    }
}
