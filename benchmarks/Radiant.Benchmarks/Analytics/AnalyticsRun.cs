#pragma warning disable DAP005 // plain Dapper, as in the provider (no Dapper.AOT)
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Analytics;
using Radiant.Postgres.Chat;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Benchmarks.Analytics;

/// <summary>
/// Usage analytics at scale (not a BenchmarkDotNet suite): <c>-- analytics [records] [--tenants N] [--ingest-seconds N]</c>.
/// Generates the records set-based (generate_series, straight into the monthly partitions, the trigger off) over the
/// year to now for N tenants (default 1,000) skewed as Zipf(1.4) — the largest holds about a third — then builds the
/// rollups from them in one pass per rollup (the same grouping the trigger does). Measures, for the largest tenant,
/// the 30- and 90-day dashboards through <see cref="IUsageAnalyticsService"/> (the application login, row-level
/// security on) against the naive aggregate of the same figures over the raw records, checking they agree; then
/// sustained ingest (4 clients, one record per transaction through the pipeline's writer) with the rollup trigger
/// on and off.
/// </summary>
internal static class AnalyticsRun
{
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-4-sonnet", "claude-3.5-haiku", "gemini-2.5-pro", "gemini-2.5-flash", "o3-mini", "deepseek-r1"];
    private static readonly string[] Providers = ["openai", "openai", "anthropic", "anthropic", "google", "google", "openai", "deepseek"];

    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var records = positional.Length > 0 ? long.Parse(positional[0], CultureInfo.InvariantCulture) : 10_000_000;
        var tenants = Option(args, "--tenants", 1000);
        var ingestSeconds = Option(args, "--ingest-seconds", 15);
        var ct = CancellationToken.None;

        Console.WriteLine($"Starting a throwaway PostgreSQL cluster... ({records:N0} records, {tenants} tenants)");
        var database = await BenchmarkDatabase.StartAsync(ct);
        try
        {
            var provider = await database.StartInstanceAsync(ct, r => r.AddAnalytics());
            var largest = await GenerateAsync(database, records, tenants, ct);
            await MeasureDashboardsAsync(database, provider, largest, ct);
            await MeasureIngestAsync(database, provider, tenants, ingestSeconds, ct);
            return 0;
        }
        finally
        {
            await database.DisposeAsync();
            Console.WriteLine("PostgreSQL cluster stopped and deleted.");
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static Guid TenantId(int i) => new($"00000000-0000-4000-8000-{i:D12}");

    /// <summary>Tenants, users, records and rollups; returns the largest tenant.</summary>
    private static async Task<Guid> GenerateAsync(BenchmarkDatabase database, long records, int tenants, CancellationToken ct)
    {
        var weights = Enumerable.Range(1, tenants).Select(i => 1 / Math.Pow(i, 1.4)).ToArray();
        var total = weights.Sum();
        var perTenant = weights.Select(w => (long)Math.Round(records * w / total)).ToArray();
        Console.WriteLine($"Largest tenant: {perTenant[0]:N0} records ({(double)perTenant[0] / perTenant.Sum():P1}); smallest {perTenant[^1]:N0}");

        await using var admin = new NpgsqlConnection(database.ConnectionString);
        await admin.OpenAsync(ct);
        var clock = Stopwatch.StartNew();
        await admin.ExecuteAsync(
            """
            SET work_mem = '256MB';
            INSERT INTO radiant.tenants (tenant_id, name)
            SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'bench ' || i FROM generate_series(1, @tenants) i;
            -- Users: 5,000 in the largest tenant, proportional to traffic below it (at least 3).
            INSERT INTO radiant.users (tenant_id, user_id)
            SELECT ('00000000-0000-4000-8000-' || lpad(t::text, 12, '0'))::uuid, md5(t || '/' || u)::uuid
            FROM generate_series(1, @tenants) t, generate_series(0, greatest(3, round(5000 / power(t, 1.4)))::int - 1) u;
            SELECT radiant.ensure_usage_partition(m) FROM generate_series(now() - interval '13 months', now() + interval '2 months', interval '1 month') m;
            -- A bulk load: the records' triggers (the rollups, the foreign-key checks) off and their indexes dropped,
            -- rebuilt once the rows are in (the generated users and tenants exist: the keys hold by construction).
            ALTER TABLE radiant.usage_records DISABLE TRIGGER ALL;
            ALTER TABLE radiant.usage_records DROP CONSTRAINT usage_records_pkey;
            DROP INDEX radiant.usage_records_tenant_time;
            DROP INDEX radiant.usage_records_user_time;
            """, new { tenants }, commandTimeout: 0);
        // Fewer checkpoints while tens of gigabytes are written (ALTER SYSTEM runs alone, outside a batch).
        await admin.ExecuteAsync("ALTER SYSTEM SET max_wal_size = '4GB'", commandTimeout: 0);
        await admin.ExecuteAsync("ALTER SYSTEM SET checkpoint_timeout = '30min'", commandTimeout: 0);
        await admin.ExecuteAsync("SELECT pg_reload_conf()", commandTimeout: 0);

        // Two connections, tenants interleaved (2 vCPUs).
        var next = -1;
        async Task Worker()
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(ct);
            await connection.ExecuteAsync("SET work_mem = '256MB'");
            int t;
            while ((t = Interlocked.Increment(ref next)) < tenants)
            {
                if (perTenant[t] == 0)
                {
                    continue;
                }

                var users = Math.Max(3, (int)Math.Round(5000 / Math.Pow(t + 1, 1.4), MidpointRounding.AwayFromZero));
                await connection.ExecuteAsync(
                    """
                    INSERT INTO radiant.usage_records (tenant_id, id, request_id, attempt, user_id, team_id, model_id, provider_id, domain_mode,
                        routing_rule, input_tokens, output_tokens, cached_tokens, charge, pricing_version, latency_ms, first_token_ms, outcome, created_at)
                    SELECT @tenant, gen_random_uuid(), 'bench-' || g, 1, md5(@t || '/' || u)::uuid,
                           CASE WHEN u % 12 < 2 THEN NULL ELSE md5(@t || '/team/' || (u % 12))::uuid END,
                           (@models::text[])[m + 1], (@providers::text[])[m + 1],
                           (ARRAY[NULL, 'general', 'general', 'general', 'code', 'code', 'legal', 'medical', 'academic', 'creative', 'scientific'])[1 + floor(r3 * 11)::int],
                           'best_fit', i, o, (i * r3 / 2)::int, round((i * 2.5 + o * 10) / 1000000.0, 6), 1,
                           l, CASE WHEN r3 < 0.7 THEN (l * 0.3)::int END,
                           CASE WHEN r2 < 0.95 THEN 'completed' WHEN r2 < 0.98 THEN 'failed' ELSE 'cancelled' END,
                           now() - interval '365 days' * random()
                    FROM (SELECT g, floor(power(random(), 2) * @users)::int AS u, floor(power(random(), 1.7) * 8)::int AS m,
                                 (50 + random() * 3000)::int AS i, (random() * 1500)::int AS o,
                                 (exp(5 + 2.5 * random()) * (0.5 + random()))::int AS l, random() AS r2, random() AS r3
                          FROM generate_series(1, @n) g) x
                    """,
                    new { tenant = TenantId(t + 1), t = t + 1, users, n = perTenant[t], models = Models, providers = Providers },
                    commandTimeout: 0);
            }
        }

        await Task.WhenAll(Worker(), Worker());
        Console.WriteLine($"Records written in {clock.Elapsed.TotalSeconds:F0} s");

        clock.Restart();
        var indexes = new Queue<string>([
            "ALTER TABLE radiant.usage_records ADD PRIMARY KEY (tenant_id, id, created_at)",
            "CREATE INDEX usage_records_tenant_time ON radiant.usage_records (tenant_id, created_at)",
            "CREATE INDEX usage_records_user_time ON radiant.usage_records (tenant_id, user_id, created_at)",
        ]);
        await Task.WhenAll(Drain(indexes, "SET maintenance_work_mem = '2GB'; SET max_parallel_maintenance_workers = 1;"), Drain(indexes, "SET maintenance_work_mem = '2GB'; SET max_parallel_maintenance_workers = 1;"));
        Console.WriteLine($"Indexes built in {clock.Elapsed.TotalSeconds:F0} s");

        clock.Restart();
        // The rollups from the records, as the trigger would have built them, month by month (a daily bucket never
        // spans two months, so each month's groups are complete and fit in memory), two statements at a time, into
        // tables whose keys, indexes and triggers are off until they are full; the hourly ones for the window the
        // maintenance worker keeps (RadiantAnalyticsOptions.HourlyRollupDays).
        string[] rollups = ["usage_rollup_model_hourly", "usage_rollup_model_daily", "usage_rollup_segment_hourly", "usage_rollup_segment_daily", "usage_rollup_user_daily"];
        var constraints = (await admin.QueryAsync<(string Table, string Name, string Definition)>(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ANY (@tables::regclass[]) AND contype IN ('p', 'u')",
            new { tables = rollups.Select(t => "radiant." + t).ToArray() })).ToList();
        var plainIndexes = (await admin.QueryAsync<string>(
            """
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = ANY (@tables::regclass[]) AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            new { tables = rollups.Select(t => "radiant." + t).ToArray() })).ToList();
        foreach (var (table, name, _) in constraints)
        {
            await admin.ExecuteAsync($"ALTER TABLE {table} DROP CONSTRAINT {name}");
        }

        foreach (var index in await admin.QueryAsync<string>(
            "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = ANY (@tables::regclass[])", new { tables = rollups.Select(t => "radiant." + t).ToArray() }))
        {
            await admin.ExecuteAsync($"DROP INDEX {index}");
        }

        foreach (var table in rollups)
        {
            await admin.ExecuteAsync($"ALTER TABLE radiant.{table} DISABLE TRIGGER ALL");
        }

        var hourlyCutoff = $"date_trunc('day', now(), 'UTC') - interval '{new RadiantAnalyticsOptions().HourlyRollupDays} days'";
        string Build(string partition, string table, string bucket, string keys, bool histogram) => histogram
            ? $"""
              INSERT INTO radiant.{table}
              SELECT tenant_id, b, {keys}, sum(n), sum(c), sum(f), sum(i), sum(o), sum(ca), sum(ch), sum(l), sum(ft), sum(fc),
                     radiant.usage_histogram_of(array_agg(lb), array_agg(n))
              FROM (SELECT tenant_id, date_trunc('{bucket}', created_at, 'UTC') AS b, {keys}, radiant.usage_latency_bucket(latency_ms) AS lb,
                           count(*) AS n, count(*) FILTER (WHERE outcome = 'completed') AS c, count(*) FILTER (WHERE outcome = 'failed') AS f,
                           sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cached_tokens) AS ca, sum(charge) AS ch, sum(latency_ms) AS l,
                           coalesce(sum(first_token_ms), 0) AS ft, count(first_token_ms) AS fc
                    FROM radiant.{partition} {(bucket == "hour" ? $"WHERE created_at >= {hourlyCutoff}" : "")}
                    GROUP BY 1, 2, {keys}, radiant.usage_latency_bucket(latency_ms)) x
              GROUP BY tenant_id, b, {keys}
              """
            : $"""
              INSERT INTO radiant.{table}
              SELECT tenant_id, date_trunc('{bucket}', created_at, 'UTC'), {keys}, count(*), count(*) FILTER (WHERE outcome = 'completed'),
                     count(*) FILTER (WHERE outcome = 'failed'), sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(charge),
                     sum(latency_ms), min(created_at), max(created_at)
              FROM radiant.{partition}
              GROUP BY 1, 2, {keys}
              """;
        // A month partition (usage_records_YYYY_MM) holds hourly-window records when it ends after the window starts.
        var windowStart = DateTime.UtcNow.Date.AddDays(-new RadiantAnalyticsOptions().HourlyRollupDays);
        var partitions = (await admin.QueryAsync<string>(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'radiant.usage_records'::regclass ORDER BY 1"))
            .Select(name => (Name: name, Recent: !DateTime.TryParseExact(name["usage_records_".Length..], "yyyy_MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var month)
                || month.AddMonths(1) > windowStart))
            .ToList();
        var builds = new Queue<string>();
        foreach (var (partition, recent) in partitions)
        {
            builds.Enqueue(Build(partition, "usage_rollup_user_daily", "day", "user_id, model_id, provider_id, team_id", histogram: false));
            builds.Enqueue(Build(partition, "usage_rollup_segment_daily", "day", "model_id, provider_id, team_id, domain_mode", histogram: true));
            builds.Enqueue(Build(partition, "usage_rollup_model_daily", "day", "model_id, provider_id", histogram: true));
            if (recent)
            {
                builds.Enqueue(Build(partition, "usage_rollup_segment_hourly", "hour", "model_id, provider_id, team_id, domain_mode", histogram: true));
                builds.Enqueue(Build(partition, "usage_rollup_model_hourly", "hour", "model_id, provider_id", histogram: true));
            }
        }

        const string BuildMemory = "SET work_mem = '1GB'; SET maintenance_work_mem = '2GB'; SET max_parallel_workers_per_gather = 0; SET max_parallel_maintenance_workers = 1;";
        await Task.WhenAll(Drain(builds, BuildMemory), Drain(builds, BuildMemory));
        Console.WriteLine($"Rollups aggregated in {clock.Elapsed.TotalSeconds:F0} s");
        clock.Restart();
        var keys = new Queue<string>(constraints.Select(c => $"ALTER TABLE {c.Table} ADD CONSTRAINT {c.Name} {c.Definition}").Concat(plainIndexes));
        await Task.WhenAll(Drain(keys, BuildMemory), Drain(keys, BuildMemory));
        foreach (var table in rollups)
        {
            await admin.ExecuteAsync($"ALTER TABLE radiant.{table} ENABLE TRIGGER ALL");
        }

        await admin.ExecuteAsync("ALTER TABLE radiant.usage_records ENABLE TRIGGER ALL", commandTimeout: 0);
        Console.WriteLine($"Rollup keys and indexes built in {clock.Elapsed.TotalSeconds:F0} s");
        clock.Restart();
        await admin.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 0);
        Console.WriteLine($"Database vacuumed and analyzed in {clock.Elapsed.TotalSeconds:F0} s");
        var sizes = await admin.QueryAsync<(string Table, long Rows, string Size)>(
            """
            SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_total_relation_size(c.oid))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'radiant' AND c.relname LIKE 'usage_rollup_%' AND c.relkind = 'r' ORDER BY 1
            """);
        var raw = await admin.ExecuteScalarAsync<string>("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'radiant.usage_records'::regclass");
        Console.WriteLine($"usage_records: {await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM radiant.usage_records"):N0} rows, {raw}");
        foreach (var (table, rows, size) in sizes)
        {
            Console.WriteLine($"{table}: ~{rows:N0} rows, {size}");
        }

        return TenantId(1);

        // Runs the statements of a shared queue one after another on a connection of its own.
        async Task Drain(Queue<string> statements, string setup)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(ct);
            if (setup.Length > 0)
            {
                await connection.ExecuteAsync(setup);
            }

            while (true)
            {
                string sql;
                lock (statements)
                {
                    if (statements.Count == 0)
                    {
                        return;
                    }

                    sql = statements.Dequeue();
                }

                await connection.ExecuteAsync(sql, commandTimeout: 0);
            }
        }
    }

    private static async Task MeasureDashboardsAsync(BenchmarkDatabase database, IServiceProvider provider, Guid tenant, CancellationToken ct)
    {
        var analytics = provider.GetRequiredService<IUsageAnalyticsService>();
        var admin = RadiantCaller.ForTenantAdmin(tenant, Guid.NewGuid());
        await using var owner = new NpgsqlConnection(database.ConnectionString);
        await owner.OpenAsync(ct);
        foreach (var range in new[] { "30d", "90d" })
        {
            var query = new UsageAnalyticsQuery(range);
            UsageDashboard dashboard = null!;
            for (var i = 0; i < 3; i++)
            {
                dashboard = await analytics.GetDashboardAsync(admin, query, ct);
            }

            var rollup = await TimeAsync(30, async () => dashboard = await analytics.GetDashboardAsync(admin, query, ct));
            var r = dashboard.Totals.Range;
            (long Requests, decimal Cost, long Users) naive = default;
            var baseline = await TimeAsync(3, async () => naive = await NaiveAsync(owner, tenant, r, ct));
            Console.WriteLine(
                $"{range} dashboard, largest tenant: rollups median {rollup.Median:F1} ms (p95 {rollup.P95:F1}, min {rollup.Min:F1}, 30 runs); " +
                $"naive aggregate over the raw records median {baseline.Median:F0} ms (min {baseline.Min:F0}, 3 runs)");
            Console.WriteLine(
                $"  agree: requests {dashboard.Totals.Current.Requests:N0} vs {naive.Requests:N0}, cost {dashboard.Totals.Current.Cost} vs {naive.Cost}, " +
                $"active users {dashboard.Totals.Current.ActiveUsers} vs {naive.Users}");
            if (dashboard.Totals.Current.Requests != naive.Requests || dashboard.Totals.Current.Cost != naive.Cost || dashboard.Totals.Current.ActiveUsers != naive.Users)
            {
                throw new InvalidOperationException("The rollups disagree with the raw records.");
            }
        }
    }

    /// <summary>The same figures straight from the records: totals of both ranges with exact p95, the series, and per-model figures.</summary>
    private static async Task<(long, decimal, long)> NaiveAsync(NpgsqlConnection connection, Guid tenant, UsageRange r, CancellationToken ct)
    {
        var p = new { tenant, r.From, r.To, r.PreviousFrom };
        var totals = (await connection.QueryAsync<(bool Current, long Requests, decimal Cost, long Users)>(new CommandDefinition(
            """
            SELECT created_at >= @From, count(*), sum(charge), count(DISTINCT user_id), sum(input_tokens), sum(output_tokens), avg(latency_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms), avg((outcome = 'completed')::int)
            FROM radiant.usage_records WHERE tenant_id = @tenant AND created_at >= @PreviousFrom AND created_at < @To GROUP BY 1
            """, p, commandTimeout: 0, cancellationToken: ct))).ToList();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            SELECT date_trunc('day', created_at, 'UTC'), count(*), sum(input_tokens), sum(output_tokens), sum(charge)
            FROM radiant.usage_records WHERE tenant_id = @tenant AND created_at >= @From AND created_at < @To GROUP BY 1;
            SELECT model_id, provider_id, count(*), sum(input_tokens), sum(output_tokens), sum(charge), avg(latency_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms), avg(first_token_ms), avg((outcome = 'completed')::int)
            FROM radiant.usage_records WHERE tenant_id = @tenant AND created_at >= @From AND created_at < @To GROUP BY 1, 2;
            """, p, commandTimeout: 0, cancellationToken: ct));
        var current = totals.SingleOrDefault(t => t.Current);
        return (current.Requests, current.Cost, current.Users);
    }

    private static async Task MeasureIngestAsync(BenchmarkDatabase database, IServiceProvider provider, int tenants, int seconds, CancellationToken ct)
    {
        var db = provider.GetRequiredService<RadiantDb>();
        var writer = new UsageRecords(db);
        await using var admin = new NpgsqlConnection(database.ConnectionString);
        await admin.OpenAsync(ct);
        var weights = Enumerable.Range(1, tenants).Select(i => 1 / Math.Pow(i, 1.4)).ToArray();
        var cumulative = new double[tenants];
        for (double sum = 0, i = 0; i < tenants; i++)
        {
            sum += weights[(int)i];
            cumulative[(int)i] = sum;
        }

        foreach (var rollups in new[] { true, false, true })
        {
            await admin.ExecuteAsync($"ALTER TABLE radiant.usage_records {(rollups ? "ENABLE" : "DISABLE")} TRIGGER usage_records_roll_up");
            long written = 0;
            var stop = Stopwatch.StartNew();
            async Task Client(int seed)
            {
                var random = new Random(seed);
                while (stop.Elapsed < TimeSpan.FromSeconds(seconds))
                {
                    var t = Array.BinarySearch(cumulative, random.NextDouble() * cumulative[^1]);
                    t = t < 0 ? ~t : t;
                    var users = Math.Max(3, (int)Math.Round(5000 / Math.Pow(t + 1, 1.4), MidpointRounding.AwayFromZero));
                    var caller = new RadiantCaller(TenantId(t + 1), MD5Guid($"{t + 1}/{random.Next(users)}"));
                    var m = random.Next(Models.Length);
                    var record = new UsageRecord(
                        Guid.NewGuid().ToString(), 1, null, Models[m], Providers[m], "general", null, "best_fit", random.Next(50, 3000), random.Next(0, 1500), 0,
                        0.0123m, 1, random.Next(100, 5000), random.Next(50, 500), UsageOutcome.Completed, null);
                    await db.InTenantAsync(caller, (c, tx) => writer.TryAddAsync(c, tx, caller, record, ct), ct);
                    Interlocked.Increment(ref written);
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 4).Select(Client));
            Console.WriteLine($"Ingest, 4 clients, one record per transaction, rollups {(rollups ? "on " : "off")}: {written / stop.Elapsed.TotalSeconds:N0} records/s ({written:N0} in {stop.Elapsed.TotalSeconds:F1} s)");
        }
    }

    private static Guid MD5Guid(string text)
    {
#pragma warning disable CA5351 // the ids the generator's md5() gave the users, not a security use
        var hash = System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5351
        return new Guid(Convert.ToHexString(hash));
    }

    private static async Task<(double Median, double P95, double Min)> TimeAsync(int runs, Func<Task> work)
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await work();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], times[(int)Math.Ceiling(0.95 * times.Count) - 1], times[0]);
    }
}
