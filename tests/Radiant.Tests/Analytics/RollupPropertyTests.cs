using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Analytics;
using Radiant.Postgres.Analytics;
using Radiant.Postgres.Chat;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;
using Radiant.Tests.Infrastructure;
using static Radiant.Tests.Analytics.AnalyticsFixture;

namespace Radiant.Tests.Analytics;

/// <summary>
/// The rollups equal the aggregate of the raw records, whatever order, batching, lateness and retries the records
/// arrive with; and the service's figures equal the raw ones (percentiles within the histogram's bound).
/// </summary>
public sealed class RollupPropertyTests(AnalyticsFixture fx) : IClassFixture<AnalyticsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Models = ["gpt-4o", "claude-4-sonnet", "gemini-2.5-pro"];
    private static readonly string?[] Modes = [null, "general", "code", "legal"];
    private static readonly string[] Outcomes = ["completed", "completed", "completed", "failed", "cancelled"];

    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    [InlineData(47)]
    public async Task Rollups_equal_the_raw_aggregate_after_random_inserts_late_records_and_retries(int seed)
    {
        var random = new Random(seed);
        var first = await fx.NewUserAsync();
        var tenant = first.TenantId;
        var users = new List<Guid> { first.UserId };
        for (var i = 0; i < 5; i++)
        {
            users.Add((await fx.NewUserAsync(tenant)).UserId);
        }

        var teams = new Guid?[] { null, Guid.NewGuid(), Guid.NewGuid() };
        Rec Random() => new(
            users[random.Next(users.Count)],
            Now.AddMinutes(-random.Next(0, 60 * 24 * 40)), // over 40 days, in random order: most records are "late" for some bucket
            Models[random.Next(Models.Length)], "p" + random.Next(2), (int)Math.Exp(random.NextDouble() * 11), Math.Round((decimal)random.NextDouble(), 6),
            random.Next(0, 5000), random.Next(0, 2000), Outcomes[random.Next(Outcomes.Length)], teams[random.Next(teams.Length)],
            Modes[random.Next(Modes.Length)], random.Next(3) == 0 ? null : random.Next(0, 3000));

        for (var round = 0; round < 12; round++)
        {
            switch (random.Next(3))
            {
                case 0:
                    await fx.AddAsync(tenant, Enumerable.Range(0, random.Next(1, 8)).Select(_ => Random()).ToArray());
                    break;
                case 1:
                    await fx.AddBatchAsync(tenant, Enumerable.Range(0, random.Next(1, 60)).Select(_ => Random()).ToList());
                    break;
                default:
                    await RolledBackAsync(tenant, Random());
                    break;
            }
        }

        // Retries through the pipeline's writer: the same request and attempt twice adds one record, rolled up once.
        var db = fx.Services.GetRequiredService<RadiantDb>();
        var writer = new UsageRecords(db);
        var caller = new RadiantCaller(tenant, users[0]);
        for (var i = 0; i < 5; i++)
        {
            var record = new UsageRecord($"retry-{seed}-{i}", 1, null, "gpt-4o", "openai", "code", null, "requested", 5, 5, 0, 0.01m, 1, 120, 40, UsageOutcome.Completed, null);
            Assert.True(await db.InTenantAsync(caller, (c, t) => writer.TryAddAsync(c, t, caller, record, Ct), Ct));
            Assert.False(await db.InTenantAsync(caller, (c, t) => writer.TryAddAsync(c, t, caller, record, Ct), Ct));
        }

        await AssertRollupsEqualRawAsync(tenant);
        await AssertFiguresEqualRawAsync(tenant);
    }

    private async Task RolledBackAsync(Guid tenant, Rec record)
    {
        await using var connection = await fx.OpenOwnerConnectionAsync();
        await using var tx = await RawSql.BeginAsAppAsync(connection, tenant, null);
        await RawSql.ExecuteAsync(connection, tx,
            "INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, model_id, provider_id, routing_rule, input_tokens, output_tokens, charge, pricing_version, latency_ms, outcome, created_at) " +
            "VALUES (@tenant, gen_random_uuid(), 'rolled-back', 1, @user, 'gpt-4o', 'openai', 'requested', 1, 1, 1, 1, 1, 'completed', @at)",
            ("tenant", tenant), ("user", record.UserId), ("at", record.At));
        await tx.RollbackAsync(Ct);
    }

    private async Task AssertRollupsEqualRawAsync(Guid tenant)
    {
        await using var connection = await fx.OpenOwnerConnectionAsync();
        const string Sums =
            "count(*)::bigint, count(*) FILTER (WHERE outcome = 'completed')::bigint, count(*) FILTER (WHERE outcome = 'failed')::bigint, " +
            "sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cached_tokens)::bigint, sum(charge), sum(latency_ms)::bigint";
        const string RollupSums = "requests, completed, failed, input_tokens, output_tokens, cached_tokens, charge, latency_ms_sum";
        const string Histogram =
            ", coalesce(sum(first_token_ms), 0)::bigint, count(first_token_ms)::bigint, " +
            "radiant.usage_histogram_of(array_agg(radiant.usage_latency_bucket(latency_ms)), array_agg(1::bigint))";
        var cases = new (string Table, string Keys, string RawKeys, string Extra, string RawExtra)[]
        {
            ("usage_rollup_model_hourly", "bucket, model_id, provider_id", "date_trunc('hour', created_at, 'UTC'), model_id, provider_id", ", first_token_ms_sum, first_token_count, latency_histogram", Histogram),
            ("usage_rollup_model_daily", "bucket, model_id, provider_id", "date_trunc('day', created_at, 'UTC'), model_id, provider_id", ", first_token_ms_sum, first_token_count, latency_histogram", Histogram),
            ("usage_rollup_segment_hourly", "bucket, model_id, provider_id, team_id, domain_mode", "date_trunc('hour', created_at, 'UTC'), model_id, provider_id, team_id, domain_mode", ", first_token_ms_sum, first_token_count, latency_histogram", Histogram),
            ("usage_rollup_segment_daily", "bucket, model_id, provider_id, team_id, domain_mode", "date_trunc('day', created_at, 'UTC'), model_id, provider_id, team_id, domain_mode", ", first_token_ms_sum, first_token_count, latency_histogram", Histogram),
            ("usage_rollup_user_daily", "bucket, user_id, model_id, provider_id, team_id", "date_trunc('day', created_at, 'UTC'), user_id, model_id, provider_id, team_id", ", first_at, last_at", ", min(created_at), max(created_at)"),
        };
        foreach (var (table, keys, rawKeys, extra, rawExtra) in cases)
        {
            var rollup = $"SELECT {keys}, {RollupSums}{extra} FROM radiant.{table} WHERE tenant_id = @tenant";
            var raw = $"SELECT {rawKeys}, {Sums}{rawExtra} FROM radiant.usage_records WHERE tenant_id = @tenant GROUP BY {rawKeys}";
            var differences = await connection.ExecuteScalarAsync<long>(
                $"SELECT count(*) FROM (({rollup} EXCEPT ALL {raw}) UNION ALL ({raw} EXCEPT ALL {rollup})) d", new { tenant });
            Assert.True(differences == 0, $"{table}: {differences} rows differ from the raw aggregate");
            Assert.True(await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM radiant.{table} WHERE tenant_id = @tenant", new { tenant }) > 0, table);
        }
    }

    private async Task AssertFiguresEqualRawAsync(Guid tenant)
    {
        await using var connection = await fx.OpenOwnerConnectionAsync();
        foreach (var range in new[] { "24h", "7d", "30d", "90d" })
        {
            var dashboard = await fx.Analytics.GetDashboardAsync(TestCallers.Admin(tenant), new UsageAnalyticsQuery(range), Ct);
            var r = dashboard.Totals.Range;
            var raw = await connection.QuerySingleAsync<(long Requests, decimal? Cost, long Users, int? P95, long Tokens)>(
                """
                SELECT count(*), sum(charge), count(DISTINCT user_id), percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms), coalesce(sum(input_tokens), 0)
                FROM radiant.usage_records WHERE tenant_id = @tenant AND created_at >= @From AND created_at < @To
                """, new { tenant, r.From, r.To });
            Assert.Equal(raw.Requests, dashboard.Totals.Current.Requests);
            Assert.Equal(raw.Cost ?? 0m, dashboard.Totals.Current.Cost);
            Assert.Equal(raw.Users, dashboard.Totals.Current.ActiveUsers);
            Assert.Equal(raw.Tokens, dashboard.Totals.Current.InputTokens);
            Assert.Equal(raw.Requests, dashboard.Series.Points.Sum(p => p.Requests));
            Assert.Equal(raw.Cost ?? 0m, dashboard.Distribution.Models.Sum(m => m.Cost));
            if (raw.P95 is { } exact)
            {
                var estimate = dashboard.Totals.Current.P95LatencyMs!.Value;
                Assert.True(Math.Abs(estimate - exact) <= (exact * LatencyHistogram.RelativeErrorBound) + 1e-9, $"{range}: p95 {estimate} vs exact {exact}");
            }

            var perModel = (await connection.QueryAsync<(string Model, string Provider, int P95)>(
                """
                SELECT model_id, provider_id, percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)
                FROM radiant.usage_records WHERE tenant_id = @tenant AND created_at >= @From AND created_at < @To GROUP BY 1, 2
                """, new { tenant, r.From, r.To })).ToList();
            Assert.Equal(perModel.Count, dashboard.Performance.Models.Count);
            foreach (var (model, provider, modelExact) in perModel)
            {
                var estimate = dashboard.Performance.Models.Single(m => m.ModelId == model && m.ProviderId == provider).P95LatencyMs!.Value;
                Assert.True(Math.Abs(estimate - modelExact) <= (modelExact * LatencyHistogram.RelativeErrorBound) + 1e-9, $"{range} {model}: p95 {estimate} vs exact {modelExact}");
            }
        }
    }

    [Fact]
    public async Task Maintenance_drops_months_past_the_retention_whole_and_keeps_their_rollups()
    {
        var user = await fx.NewUserAsync();
        await using var connection = await fx.OpenOwnerConnectionAsync();
        var old = new DateTimeOffset(DateTime.UtcNow.Year - 3, 1, 15, 0, 0, 0, TimeSpan.Zero);
        await connection.ExecuteAsync("SELECT radiant.ensure_usage_partition(@old)", new { old });
        await fx.AddAsync(user.TenantId, new Rec(user.UserId, old), new Rec(user.UserId, old.AddDays(1)));
        var partition = $"usage_records_{old:yyyy_MM}";
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM radiant.{partition}"));

        var changes = await fx.Services.GetRequiredService<UsagePartitionWorker>().MaintainAsync(Ct);

        Assert.Contains(("dropped", partition), changes);
        Assert.Null(await connection.ExecuteScalarAsync<string?>("SELECT to_regclass(@name)::text", new { name = "radiant." + partition }));
        var current = $"usage_records_{DateTime.UtcNow:yyyy_MM}";
        Assert.NotNull(await connection.ExecuteScalarAsync<string?>("SELECT to_regclass(@name)::text", new { name = "radiant." + current }));
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>(
            "SELECT sum(requests)::bigint FROM radiant.usage_rollup_model_daily WHERE tenant_id = @tenant", new { tenant = user.TenantId }));
        Assert.Empty(await fx.Services.GetRequiredService<UsagePartitionWorker>().MaintainAsync(Ct));
    }
}
