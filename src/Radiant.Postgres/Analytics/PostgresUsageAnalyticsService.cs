using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Analytics;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.Analytics;

/// <summary>
/// Reads the usage rollups of migration 0011: the model rollups when no team or domain mode filter is set, the
/// segment rollups otherwise; hourly ones for hour buckets, daily ones for day buckets. Rollup rows come back whole
/// (a 90-day dashboard of the largest tenant is a few hundred rows) and are summed here, histograms included (sparse,
/// migration 0013), in decimal for money. An hour-bucket range that starts before the hourly rollups' window
/// (<see cref="RadiantAnalyticsOptions.HourlyRollupDays"/>) is read from the records, grouped into the same rows.
/// Active users, top users and user × model read the per-user daily rollup for day ranges, and the records themselves
/// for hour ranges (at most 14 days of one tenant's records, the range and the previous one) and for a domain-mode
/// filter, which the per-user rollup is not keyed by (migration 0013).
/// </summary>
internal sealed class PostgresUsageAnalyticsService : IUsageAnalyticsService
{
    private const string ReadAnalytics = "read usage analytics";

    private const string RollupColumns =
        "bucket AS Bucket, model_id AS ModelId, provider_id AS ProviderId, requests AS Requests, completed AS Completed, failed AS Failed, " +
        "input_tokens AS InputTokens, output_tokens AS OutputTokens, charge AS Charge, latency_ms_sum AS LatencyMsSum, " +
        "first_token_ms_sum AS FirstTokenMsSum, first_token_count AS FirstTokenCount, latency_histogram AS LatencyHistogram";

    private const string ModelFilters =
        " AND (@ModelId::text IS NULL OR model_id = @ModelId) AND (@ProviderId::text IS NULL OR provider_id = @ProviderId)";

    private const string UserFilters = ModelFilters + " AND (@TeamId::uuid IS NULL OR team_id = @TeamId)";

    private const string SegmentFilters = UserFilters + " AND (@DomainMode::text IS NULL OR domain_mode = @DomainMode)";

    private readonly RadiantDb _db;
    private readonly int _hourlyRollupDays;
    private readonly Dictionary<(UsageBucket, bool Segment), string> _rollupSql;
    private readonly string _hourlyFromRecordsSql;
    private readonly Dictionary<UsageBucket, string> _activeUsersSql;
    private readonly Dictionary<UsageBucket, string> _topUsersSql;
    private readonly Dictionary<UsageBucket, string> _userModelsSql;

    public PostgresUsageAnalyticsService(RadiantDb db, IOptions<RadiantAnalyticsOptions> options)
    {
        _db = db;
        _hourlyRollupDays = options.Value.HourlyRollupDays;
        string Rollup(string table, string filters) => db.Sql(
            $"SELECT {RollupColumns} FROM {{schema}}.{table} WHERE tenant_id = @TenantId AND bucket >= @Start AND bucket < @To{filters}");
        _rollupSql = new()
        {
            [(UsageBucket.Hour, false)] = Rollup("usage_rollup_model_hourly", ModelFilters),
            [(UsageBucket.Day, false)] = Rollup("usage_rollup_model_daily", ModelFilters),
            [(UsageBucket.Hour, true)] = Rollup("usage_rollup_segment_hourly", SegmentFilters),
            [(UsageBucket.Day, true)] = Rollup("usage_rollup_segment_daily", SegmentFilters),
        };

        // The hourly rows the trigger would have built, from at most 14 days of one tenant's records.
        _hourlyFromRecordsSql = db.Sql(
            $$"""
            SELECT date_trunc('hour', created_at, 'UTC') AS Bucket, model_id AS ModelId, provider_id AS ProviderId, count(*) AS Requests,
                   count(*) FILTER (WHERE outcome = 'completed') AS Completed, count(*) FILTER (WHERE outcome = 'failed') AS Failed,
                   sum(input_tokens)::bigint AS InputTokens, sum(output_tokens)::bigint AS OutputTokens, sum(charge) AS Charge,
                   sum(latency_ms)::bigint AS LatencyMsSum, coalesce(sum(first_token_ms), 0)::bigint AS FirstTokenMsSum,
                   count(first_token_ms) AS FirstTokenCount,
                   {schema}.usage_histogram_of(array_agg({schema}.usage_latency_bucket(latency_ms)), array_agg(1::bigint)) AS LatencyHistogram
            FROM {schema}.usage_records
            WHERE tenant_id = @TenantId AND created_at >= @Start AND created_at < @To{{SegmentFilters}}
            GROUP BY 1, 2, 3
            """);

        // One probe per user of the tenant through the (tenant, user, time) index, rather than a distinct over every row.
        string ActiveUsers(string table, string time, string filters) => db.Sql(
            $$"""
            SELECT count(*) FILTER (WHERE current) AS Current, count(*) FILTER (WHERE previous) AS Previous
            FROM (
                SELECT EXISTS (SELECT FROM {schema}.{{table}} d WHERE d.tenant_id = u.tenant_id AND d.user_id = u.user_id
                               AND d.{{time}} >= @From AND d.{{time}} < @To{{filters}}) AS current,
                       EXISTS (SELECT FROM {schema}.{{table}} d WHERE d.tenant_id = u.tenant_id AND d.user_id = u.user_id
                               AND d.{{time}} >= @PreviousFrom AND d.{{time}} < @From{{filters}}) AS previous
                FROM {schema}.users u WHERE u.tenant_id = @TenantId) x
            """);
        _activeUsersSql = new()
        {
            [UsageBucket.Hour] = ActiveUsers("usage_records", "created_at", SegmentFilters),
            [UsageBucket.Day] = ActiveUsers("usage_rollup_user_daily", "bucket", UserFilters),
        };

        string Users(string table, string time, string filters, string requests, string lastAt, string groupBy, string columns) => db.Sql(
            $$"""
            SELECT {{columns}}, {{requests}} AS Requests, sum(input_tokens)::bigint AS InputTokens, sum(output_tokens)::bigint AS OutputTokens,
                   sum(charge) AS Cost{{lastAt}}
            FROM {schema}.{{table}}
            WHERE tenant_id = @TenantId AND {{time}} >= @From AND {{time}} < @To{{filters}}
            GROUP BY {{groupBy}}
            ORDER BY Cost DESC, Requests DESC, {{groupBy}}
            LIMIT @Limit
            """);
        _topUsersSql = new()
        {
            [UsageBucket.Hour] = Users("usage_records", "created_at", SegmentFilters, "count(*)", ", max(created_at) AS LastActiveAt", "user_id", "user_id AS UserId"),
            [UsageBucket.Day] = Users("usage_rollup_user_daily", "bucket", UserFilters, "sum(requests)::bigint", ", max(last_at) AS LastActiveAt", "user_id", "user_id AS UserId"),
        };
        _userModelsSql = new()
        {
            [UsageBucket.Hour] = Users("usage_records", "created_at", SegmentFilters, "count(*)", "", "user_id, model_id, provider_id", "user_id AS UserId, model_id AS ModelId, provider_id AS ProviderId"),
            [UsageBucket.Day] = Users("usage_rollup_user_daily", "bucket", UserFilters, "sum(requests)::bigint", "", "user_id, model_id, provider_id", "user_id AS UserId, model_id AS ModelId, provider_id AS ProviderId"),
        };
    }

    public Task<UsageDashboard> GetDashboardAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(caller, query, withPrevious: true, async (range, rows, connection, transaction) =>
        {
            var current = rows.Where(r => r.Bucket >= range.From.UtcDateTime).ToList();
            var users = await ActiveUsersAsync(connection, transaction, caller, query, range, cancellationToken);
            return new UsageDashboard(Totals(range, rows, users), Series(range, current), Distribution(range, current), Performance(range, current));
        }, cancellationToken);

    public Task<UsageTotals> GetTotalsAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(caller, query, withPrevious: true, async (range, rows, connection, transaction) =>
            Totals(range, rows, await ActiveUsersAsync(connection, transaction, caller, query, range, cancellationToken)), cancellationToken);

    public Task<UsageSeries> GetSeriesAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(caller, query, withPrevious: false, (range, rows, _, _) => Task.FromResult(Series(range, rows)), cancellationToken);

    public Task<ModelDistribution> GetModelDistributionAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(caller, query, withPrevious: false, (range, rows, _, _) => Task.FromResult(Distribution(range, rows)), cancellationToken);

    public Task<ModelPerformanceReport> GetModelPerformanceAsync(RadiantCaller caller, UsageAnalyticsQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(caller, query, withPrevious: false, (range, rows, _, _) => Task.FromResult(Performance(range, rows)), cancellationToken);

    public async Task<TopUsers> GetTopUsersAsync(RadiantCaller caller, UsageAnalyticsQuery query, int limit = UsageAnalyticsLimits.DefaultLimit, CancellationToken cancellationToken = default)
    {
        UsageAnalyticsQuery.ValidateLimit(limit);
        var (range, users) = await ListAsync<UserRow>(caller, query, limit, _topUsersSql, cancellationToken);
        return new TopUsers(range, users.Select(u => new UserUsage(u.UserId, u.Requests, u.InputTokens, u.OutputTokens, u.Cost, Utc(u.LastActiveAt))).ToList());
    }

    public async Task<UserModelBreakdown> GetUserModelBreakdownAsync(RadiantCaller caller, UsageAnalyticsQuery query, int limit = UsageAnalyticsLimits.DefaultLimit, CancellationToken cancellationToken = default)
    {
        UsageAnalyticsQuery.ValidateLimit(limit);
        var (range, rows) = await ListAsync<UserModelRow>(caller, query, limit, _userModelsSql, cancellationToken);
        return new UserModelBreakdown(range, rows.Select(r => new UserModelUsage(r.UserId, r.ModelId, r.ProviderId, r.Requests, r.InputTokens, r.OutputTokens, r.Cost)).ToList());
    }

    private async Task<T> ReadAsync<T>(
        RadiantCaller caller, UsageAnalyticsQuery query, bool withPrevious,
        Func<UsageRange, List<RollupRow>, NpgsqlConnection, NpgsqlTransaction, Task<T>> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        caller.RequireTenantAdmin(ReadAnalytics);
        return await _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var now = await _db.NowAsync(connection, transaction, cancellationToken);
            var range = query.Resolve(now);
            var start = withPrevious ? range.PreviousFrom : range.From;
            var hourlyWindow = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-_hourlyRollupDays);
            var rows = (await connection.QueryAsync<RollupRow>(new CommandDefinition(
                range.Bucket == UsageBucket.Hour && start < hourlyWindow ? _hourlyFromRecordsSql : _rollupSql[(range.Bucket, query.FiltersSegment)],
                Parameters(caller, query, range, start),
                transaction,
                cancellationToken: cancellationToken))).ToList();
            return await answer(range, rows, connection, transaction);
        }, cancellationToken);
    }

    private async Task<(UsageRange, List<T>)> ListAsync<T>(
        RadiantCaller caller, UsageAnalyticsQuery query, int limit, Dictionary<UsageBucket, string> sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        caller.RequireTenantAdmin(ReadAnalytics);
        return await _db.InTenantAsync(caller, async (connection, transaction) =>
        {
            var range = query.Resolve(await _db.NowAsync(connection, transaction, cancellationToken));
            var parameters = new DynamicParameters(Parameters(caller, query, range, range.From));
            parameters.Add("Limit", limit);
            var rows = (await connection.QueryAsync<T>(new CommandDefinition(sql[UserSource(range, query)], parameters, transaction, cancellationToken: cancellationToken))).ToList();
            return (range, rows);
        }, cancellationToken);
    }

    private async Task<(long Current, long Previous)> ActiveUsersAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, UsageAnalyticsQuery query, UsageRange range, CancellationToken cancellationToken) =>
        await connection.QuerySingleAsync<(long Current, long Previous)>(new CommandDefinition(
            _activeUsersSql[UserSource(range, query)], Parameters(caller, query, range, range.PreviousFrom), transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Where user figures come from: the per-user daily rollup for day ranges, the records for hour ranges and for a
    /// domain-mode filter (the rollup is not keyed by mode, migration 0013) — keyed like the SQL dictionaries.
    /// </summary>
    private static UsageBucket UserSource(UsageRange range, UsageAnalyticsQuery query) =>
        query.DomainMode is null ? range.Bucket : UsageBucket.Hour;

    private static object Parameters(RadiantCaller caller, UsageAnalyticsQuery query, UsageRange range, DateTimeOffset start) => new
    {
        caller.TenantId,
        Start = start,
        range.From,
        range.To,
        range.PreviousFrom,
        query.TeamId,
        query.ModelId,
        query.ProviderId,
        query.DomainMode,
    };

    private static UsageTotals Totals(UsageRange range, List<RollupRow> rows, (long Current, long Previous) users)
    {
        var current = new Sum();
        var previous = new Sum();
        foreach (var row in rows)
        {
            (row.Bucket >= range.From.UtcDateTime ? current : previous).Add(row);
        }

        var now = current.Figures(users.Current);
        var before = previous.Figures(users.Previous);
        return new UsageTotals(range, now, before, new UsageGrowth(
            Growth(now.Requests, before.Requests),
            Growth(now.InputTokens, before.InputTokens),
            Growth(now.OutputTokens, before.OutputTokens),
            Growth((double)now.Cost, (double)before.Cost),
            Growth(now.AverageLatencyMs, before.AverageLatencyMs),
            Growth(now.P95LatencyMs, before.P95LatencyMs),
            Growth(now.SuccessRate, before.SuccessRate),
            Growth(now.ActiveUsers, before.ActiveUsers)));
    }

    private static UsageSeries Series(UsageRange range, List<RollupRow> rows)
    {
        var byBucket = new Dictionary<DateTime, Sum>();
        foreach (var row in rows)
        {
            if (!byBucket.TryGetValue(row.Bucket, out var sum))
            {
                byBucket[row.Bucket] = sum = new Sum();
            }

            sum.Add(row);
        }

        var size = range.Bucket == UsageBucket.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var points = new List<UsageSeriesPoint>();
        for (var start = range.From; start < range.To; start += size)
        {
            points.Add(byBucket.TryGetValue(start.UtcDateTime, out var sum)
                ? new UsageSeriesPoint(start, sum.Requests, sum.InputTokens, sum.OutputTokens, sum.Charge)
                : new UsageSeriesPoint(start, 0, 0, 0, 0m));
        }

        return new UsageSeries(range, points);
    }

    private static ModelDistribution Distribution(UsageRange range, List<RollupRow> rows)
    {
        var models = ByModel(rows);
        var requests = models.Sum(m => m.Sum.Requests);
        var cost = models.Sum(m => m.Sum.Charge);
        return new ModelDistribution(range, models.Select(m => new ModelUsageShare(
            m.ModelId, m.ProviderId, m.Sum.Requests, m.Sum.InputTokens, m.Sum.OutputTokens, m.Sum.Charge,
            requests == 0 ? 0 : (double)m.Sum.Requests / requests,
            cost == 0 ? 0 : (double)(m.Sum.Charge / cost))).ToList());
    }

    private static ModelPerformanceReport Performance(UsageRange range, List<RollupRow> rows) =>
        new(range, ByModel(rows).Select(m => new ModelPerformance(
            m.ModelId, m.ProviderId, m.Sum.Requests, (double)m.Sum.LatencyMsSum / m.Sum.Requests, m.Sum.P95(),
            m.Sum.FirstTokenCount == 0 ? null : (double)m.Sum.FirstTokenMsSum / m.Sum.FirstTokenCount,
            (double)m.Sum.Completed / m.Sum.Requests, m.Sum.Charge)).ToList());

    private static List<(string ModelId, string ProviderId, Sum Sum)> ByModel(List<RollupRow> rows)
    {
        var byModel = new Dictionary<(string, string), Sum>();
        foreach (var row in rows)
        {
            if (!byModel.TryGetValue((row.ModelId, row.ProviderId), out var sum))
            {
                byModel[(row.ModelId, row.ProviderId)] = sum = new Sum();
            }

            sum.Add(row);
        }

        return byModel.Where(m => m.Value.Requests > 0)
            .Select(m => (m.Key.Item1, m.Key.Item2, m.Value))
            .OrderByDescending(m => m.Value.Requests).ThenBy(m => m.Item1, StringComparer.Ordinal).ThenBy(m => m.Item2, StringComparer.Ordinal)
            .ToList();
    }

    private static double? Growth(double? current, double? previous) =>
        current is { } now && previous is { } before && before != 0 ? (now - before) / before : null;

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>Rollup rows summed: counters, money in decimal, the latency histograms bucket by bucket.</summary>
    private sealed class Sum
    {
        private readonly long[] _histogram = new long[LatencyHistogram.BucketCount];

        public long Requests { get; private set; }
        public long Completed { get; private set; }
        public long InputTokens { get; private set; }
        public long OutputTokens { get; private set; }
        public decimal Charge { get; private set; }
        public long LatencyMsSum { get; private set; }
        public long FirstTokenMsSum { get; private set; }
        public long FirstTokenCount { get; private set; }

        public void Add(RollupRow row)
        {
            Requests += row.Requests;
            Completed += row.Completed;
            InputTokens += row.InputTokens;
            OutputTokens += row.OutputTokens;
            Charge += row.Charge;
            LatencyMsSum += row.LatencyMsSum;
            FirstTokenMsSum += row.FirstTokenMsSum;
            FirstTokenCount += row.FirstTokenCount;
            // Sparse (migration 0013): each element is count * 128 + bucket.
            foreach (var element in row.LatencyHistogram)
            {
                _histogram[(int)(element % 128)] += element / 128;
            }
        }

        public double? P95() => LatencyHistogram.Percentile(_histogram, 0.95);

        public UsageFigures Figures(long activeUsers) => new(
            Requests, InputTokens, OutputTokens, Charge,
            Requests == 0 ? null : (double)LatencyMsSum / Requests,
            P95(),
            Requests == 0 ? null : (double)Completed / Requests,
            activeUsers);
    }

    private sealed class RollupRow
    {
        public DateTime Bucket { get; init; }
        public string ModelId { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public long Requests { get; init; }
        public long Completed { get; init; }
        public long Failed { get; init; }
        public long InputTokens { get; init; }
        public long OutputTokens { get; init; }
        public decimal Charge { get; init; }
        public long LatencyMsSum { get; init; }
        public long FirstTokenMsSum { get; init; }
        public long FirstTokenCount { get; init; }
        public long[] LatencyHistogram { get; init; } = [];
    }

    private sealed class UserRow
    {
        public Guid UserId { get; init; }
        public long Requests { get; init; }
        public long InputTokens { get; init; }
        public long OutputTokens { get; init; }
        public decimal Cost { get; init; }
        public DateTime LastActiveAt { get; init; }
    }

    private sealed class UserModelRow
    {
        public Guid UserId { get; init; }
        public string ModelId { get; init; } = "";
        public string ProviderId { get; init; } = "";
        public long Requests { get; init; }
        public long InputTokens { get; init; }
        public long OutputTokens { get; init; }
        public decimal Cost { get; init; }
    }
}
