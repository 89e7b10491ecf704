using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Hangfire;
using Npgsql;
using NpgsqlTypes;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>
/// Throughput and due-to-start lag of the scheduled-prompt worker (not a BenchmarkDotNet suite), against Hangfire on
/// the same PostgreSQL server.
/// </summary>
/// <remarks>
/// <para>
/// Every worker instance is a process of its own (this executable in the <c>scheduler-worker</c> mode): a Radiant
/// host (<c>AddRadiant().UsePostgres(cs).AddScheduler().AddSchedulerWorker(...)</c> with the no-op chat client) or a
/// Hangfire <c>BackgroundJobServer</c>. This process only writes the work and reads the outcome from the database.
/// </para>
/// <para>
/// A round: the workers are running and idle; the schedules (once, all due at one instant T = now + lead) are written
/// in one COPY as the owner, then one NOTIFY on the workers' channel (what <c>IScheduleService.CreateAsync</c> sends
/// per schedule), so every worker learns the next due instant and sleeps until T. Figures come from the run rows:
/// start lag = <c>started_at − scheduled_for</c> (the claim transaction's time), throughput = runs ÷ (last
/// <c>completed_at</c> − T), i.e. until the last outcome is recorded.
/// </para>
/// </remarks>
internal static class SchedulerRun
{
    private const string Schema = BenchmarkDatabase.Schema;
    private const string Model = "gpt-4o";
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan WarmupLead = TimeSpan.FromSeconds(0.5);

    public static async Task<int> RunAsync(string[] args)
    {
        SchedulerRunSettings settings;
        try
        {
            settings = SchedulerRunSettings.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        var ct = CancellationToken.None;
        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        var database = await BenchmarkDatabase.StartAsync(ct);
        try
        {
            return await RunAsync(database, settings, ct);
        }
        finally
        {
            await database.DisposeAsync();
            Console.WriteLine("PostgreSQL cluster stopped and deleted.");
        }
    }

    private static async Task<int> RunAsync(BenchmarkDatabase database, SchedulerRunSettings settings, CancellationToken ct)
    {
        // Migrations and the built-in catalogue sync, through Radiant's own start-up.
        await database.StartInstanceAsync(ct);
        var serverVersion = await ScalarAsync<string>(database, "SELECT 'PostgreSQL ' || current_setting('server_version')", ct);
        var loadBefore = LoadAverage();
        var started = DateTimeOffset.UtcNow;

        var scenarios = new List<ScenarioResult>();
        if (!settings.SkipRadiant)
        {
            var tenants = await SeedTenantsAsync(database, settings, ct);
            foreach (var workers in settings.WorkerCounts)
            {
                scenarios.Add(await RadiantScenarioAsync(database, settings, tenants, workers, ct));
            }
        }

        ScenarioResult? graphile = null;
        if (!settings.SkipGraphile)
        {
            graphile = await GraphileScenarioAsync(database, settings, ct);
        }

        RoundResult? hangfire = null;
        if (!settings.SkipHangfire)
        {
            hangfire = await HangfireScenarioAsync(database, settings, ct);
        }

        Report(settings, scenarios, graphile, hangfire, serverVersion, loadBefore, DateTimeOffset.UtcNow - started);
        // Radiant's checks decide the exit code; the baselines are reported, whatever they took.
        var ok = scenarios.All(s => s.Throughputs.All(t => t.Ok) && s.Bursts.All(b => b.Ok));
        return ok ? 0 : 1;
    }

    // ---------------------------------------------------------------- Radiant

    private sealed record Tenancy(Guid[] Tenants, Guid[][] Users);

    private static async Task<Tenancy> SeedTenantsAsync(BenchmarkDatabase database, SchedulerRunSettings settings, CancellationToken ct)
    {
        var tenants = Enumerable.Range(0, settings.Tenants).Select(_ => Guid.NewGuid()).ToArray();
        var users = tenants.Select(_ => Enumerable.Range(0, settings.UsersPerTenant).Select(_ => Guid.NewGuid()).ToArray()).ToArray();
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             INSERT INTO {Schema}.tenants (tenant_id, name)
             SELECT t, 'Scheduler benchmark ' || n FROM unnest(@tenants) WITH ORDINALITY AS x(t, n);
             INSERT INTO {Schema}.users (tenant_id, user_id) SELECT * FROM unnest(@userTenants, @users);
             """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("tenants", tenants));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("userTenants", users.SelectMany((u, t) => u.Select(_ => tenants[t])).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("users", users.SelectMany(u => u).ToArray()));
        await command.ExecuteNonQueryAsync(ct);
        return new Tenancy(tenants, users);
    }

    /// <summary>A worker count's rounds. Throughput rounds repeat (the machine is noisy); the median one is reported.</summary>
    private sealed record ScenarioResult(int Workers, IReadOnlyList<RoundResult> Throughputs, IReadOnlyList<RoundResult> Bursts)
    {
        public RoundResult Throughput => Throughputs.OrderBy(r => r.PerSecond).ElementAt(Throughputs.Count / 2);
    }

    private static async Task<ScenarioResult> RadiantScenarioAsync(
        BenchmarkDatabase database, SchedulerRunSettings settings, Tenancy tenancy, int workerCount, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Radiant, {workerCount} worker process(es): starting...");
        var workers = new List<WorkerProcess>();
        try
        {
            string[] options =
            [
                "--max-concurrent", Arg(settings.MaxConcurrentRuns), "--batch", Arg(settings.BatchSize), "--log", settings.WorkerLog,
                "--sql-log", settings.SqlLog ? "true" : "false",
            ];
            var starting = Enumerable.Range(1, workerCount)
                .Select(i => WorkerProcess.StartAsync("radiant", $"w{i}", database.ServiceConnectionString, options, ct))
                .ToList();
            foreach (var start in starting)
            {
                workers.Add(await start);
            }

            var label = $"Radiant, {workerCount} worker{(workerCount == 1 ? string.Empty : "s")}";
            // Warm-up until the hot paths are at tier 1, as in a host that has run for a while: the JIT tiers a method up
            // after 30 calls, and the per-batch methods are called once per 500 runs (one 1,000-run round left them at
            // tier 0, and the JIT then took a quarter of the CPU during the measured round, in perf samples).
            for (var round = 1; round <= settings.WarmupRounds; round++)
            {
                var warmup = await RadiantRoundAsync(
                    database, settings, tenancy, workers, Math.Min(settings.Warmup, settings.Count), $"{label}, warm-up {round}", WarmupLead, ct);
                Print(warmup);
            }

            var throughputs = new List<RoundResult>();
            for (var round = 1; round <= settings.Rounds; round++)
            {
                var throughput = await RadiantRoundAsync(
                    database, settings, tenancy, workers, settings.Count, $"{label}, throughput {round}", settings.Lead, ct);
                Print(throughput);
                throughputs.Add(throughput);
            }

            var bursts = new List<RoundResult>();
            for (var round = 1; round <= settings.BurstRounds; round++)
            {
                var burst = await RadiantRoundAsync(database, settings, tenancy, workers, settings.Burst, $"{label}, burst {round}", settings.Lead, ct);
                Print(burst);
                bursts.Add(burst);
            }

            return new ScenarioResult(workerCount, throughputs, bursts);
        }
        finally
        {
            await Task.WhenAll(workers.Select(w => w.StopAsync()));
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private static async Task<RoundResult> RadiantRoundAsync(
        BenchmarkDatabase database, SchedulerRunSettings settings, Tenancy tenancy, List<WorkerProcess> workers, int count, string label,
        TimeSpan lead, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await ExecuteAsync(connection, $"TRUNCATE {Schema}.scheduled_prompt_runs, {Schema}.scheduled_prompts", ct);
        var before = await StatsAsync(workers, ct);

        var due = WholeMilliseconds(DateTimeOffset.UtcNow + lead);
        await using (var writer = await connection.BeginBinaryImportAsync(
            $"COPY {Schema}.scheduled_prompts (tenant_id, id, user_id, prompt_name, prompt_text, model, schedule_type, run_at, next_run) FROM STDIN (FORMAT BINARY)",
            ct))
        {
            for (var i = 0; i < count; i++)
            {
                var tenant = i % tenancy.Tenants.Length;
                var users = tenancy.Users[tenant];
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(tenancy.Tenants[tenant], NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(users[i / tenancy.Tenants.Length % users.Length], NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync($"Benchmark {i}", NpgsqlDbType.Varchar, ct);
                await writer.WriteAsync("Summarise the day's news in one sentence.", NpgsqlDbType.Text, ct);
                await writer.WriteAsync(Model, NpgsqlDbType.Varchar, ct);
                await writer.WriteAsync("once", NpgsqlDbType.Varchar, ct);
                await writer.WriteAsync(due.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(due.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            }

            await writer.CompleteAsync(ct);
        }

        // Fresh statistics for the claim query, then the wake-up every schedule change sends.
        await ExecuteAsync(connection, $"ANALYZE {Schema}.scheduled_prompts", ct);
        await ExecuteAsync(connection, $"SELECT pg_notify('{Schema}_schedules', '')", ct);
        var written = DateTimeOffset.UtcNow;

        await UntilAsync(due, ct);
        var cpuBefore = MachineCpu.Read();
        var deadline = due + TimeSpan.FromSeconds(Math.Max(60, count / 20.0));
        var done = 0;
        while (true)
        {
            done = await ScalarAsync<int>(connection, $"SELECT count(*)::int FROM {Schema}.scheduled_prompt_runs WHERE status IN ('completed', 'failed')", ct);
            if (done >= count || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(PollEvery, ct);
        }

        var cpuAfter = MachineCpu.Read();
        var after = await StatsAsync(workers, ct);

        int rows, distinct, completed, fullyRecorded, maxClaims, attempts, tenantsSeen, otherDue, claimBatches, notAdvanced;
        double? lastDone;
        await using (var command = new NpgsqlCommand(
            $"""
             SELECT count(*)::int, count(DISTINCT (tenant_id, prompt_id))::int, count(*) FILTER (WHERE status = 'completed')::int,
                    count(*) FILTER (WHERE status = 'completed' AND cost IS NOT NULL AND input_tokens = 10 AND output_tokens = 5
                                     AND output = '{NoOpChatClient.Text}' AND delivery_status = 'not_required')::int,
                    coalesce(max(claims), 0), coalesce(sum(attempts), 0)::int, count(DISTINCT tenant_id)::int,
                    count(*) FILTER (WHERE scheduled_for <> @due)::int, count(DISTINCT started_at)::int,
                    (extract(epoch FROM max(completed_at) - @due))::float8
             FROM {Schema}.scheduled_prompt_runs;
             SELECT count(*) FILTER (WHERE is_active OR run_count <> 1)::int FROM {Schema}.scheduled_prompts;
             """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime>("due", due.UtcDateTime) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            rows = reader.GetInt32(0);
            distinct = reader.GetInt32(1);
            completed = reader.GetInt32(2);
            fullyRecorded = reader.GetInt32(3);
            maxClaims = reader.GetInt32(4);
            attempts = reader.GetInt32(5);
            tenantsSeen = reader.GetInt32(6);
            otherDue = reader.GetInt32(7);
            claimBatches = reader.GetInt32(8);
            lastDone = reader.IsDBNull(9) ? null : reader.GetDouble(9);
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            notAdvanced = reader.GetInt32(0);
        }

        var tenants = Math.Min(count, tenancy.Tenants.Length);
        var checks = new List<(string, bool)>
        {
            ($"{Text(count)} run rows", rows == count),
            ($"{Text(count)} distinct schedules", distinct == count),
            ("all completed", completed == count),
            ("all recorded with tokens 10/5, output and a cost", fullyRecorded == count),
            ("each claimed once and called once (claims = 1, attempts = 1)", maxClaims == 1 && attempts == count),
            ("every schedule advanced once and deactivated", notAdvanced == 0),
            ($"runs of all {Text(tenants)} tenants", tenantsSeen == tenants),
            ("scheduled_for = T on every run", otherDue == 0),
            ("the workers' own counters agree (runs completed)", Enumerable.Range(0, workers.Count).Sum(i => (after[i] - before[i]).Completed) == completed),
        };

        if (settings.Timeline)
        {
            await PrintTimelineAsync(connection, label, due, ct);
        }

        var (lags, recorded) = await LagsAsync(connection, ct);
        var split = Enumerable.Range(0, workers.Count).Select(i => (after[i] - before[i]).Started).ToArray();
        var workerCpu = Enumerable.Range(0, workers.Count).Sum(i => (after[i] - before[i]).CpuMilliseconds) / 1000.0;
        return new RoundResult(
            label, workers.Count, count, completed, lastDone, due, written, lags, recorded, claimBatches, split, workerCpu,
            MachineCpu.BusyPercent(cpuBefore, cpuAfter), checks);
    }

    /// <summary>
    /// The round's transactions, from the run rows: a claim transaction is one <c>started_at</c> (its <c>now()</c>), a
    /// recording transaction one <c>xmin</c> (the transaction that last wrote the row, i.e. recorded its outcome).
    /// </summary>
    private static async Task PrintTimelineAsync(NpgsqlConnection connection, string label, DateTimeOffset due, CancellationToken ct)
    {
        async Task<List<(double AtMs, int Runs)>> ReadAsync(string sql)
        {
            var list = new List<(double, int)>();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTime>("due", due.UtcDateTime) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add((reader.GetDouble(0), reader.GetInt32(1)));
            }

            return list;
        }

        var claims = await ReadAsync(
            $"SELECT (extract(epoch FROM started_at - @due) * 1000)::float8, count(*)::int FROM {Schema}.scheduled_prompt_runs GROUP BY started_at ORDER BY 1");
        var records = await ReadAsync(
            $"""
             SELECT (extract(epoch FROM min(completed_at) - @due) * 1000)::float8, count(*)::int
             FROM {Schema}.scheduled_prompt_runs WHERE completed_at IS NOT NULL GROUP BY xmin::text ORDER BY 1
             """);
        static string Describe(List<(double AtMs, int Runs)> list) =>
            string.Join(", ", list.Select(e => string.Create(CultureInfo.InvariantCulture, $"+{e.AtMs:F0}:{e.Runs}")));
        Console.WriteLine($"    {label} — claim transactions (ms after T: runs), {claims.Count}: {Describe(claims)}");
        Console.WriteLine($"    {label} — recording transactions (first completed_at, ms after T: runs), {records.Count}: {Describe(records)}");
    }

    private static async Task<(double[] Lags, double[] Recorded)> LagsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var lags = new List<double>();
        var recorded = new List<double>();
        await using var command = new NpgsqlCommand(
            $"""
             SELECT (extract(epoch FROM started_at - scheduled_for) * 1000)::float8,
                    (extract(epoch FROM completed_at - scheduled_for) * 1000)::float8
             FROM {Schema}.scheduled_prompt_runs WHERE started_at IS NOT NULL
             """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            lags.Add(reader.GetDouble(0));
            if (!reader.IsDBNull(1))
            {
                recorded.Add(reader.GetDouble(1));
            }
        }

        return (lags.ToArray(), recorded.ToArray());
    }

    private static async Task<List<WorkerStats>> StatsAsync(List<WorkerProcess> workers, CancellationToken ct)
    {
        var stats = new List<WorkerStats>();
        foreach (var worker in workers)
        {
            stats.Add(await worker.StatsAsync(ct));
        }

        return stats;
    }

    // ---------------------------------------------------------------- graphile-worker

    private static async Task<ScenarioResult> GraphileScenarioAsync(BenchmarkDatabase database, SchedulerRunSettings settings, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"{GraphileBaseline.Package}, one node process, concurrency {settings.GraphileConcurrency}, localQueue {settings.GraphileBatch}: starting...");
        var connectionString = await BaselineDatabaseAsync(database, "graphile_bench", ct);

        var folder = await GraphileBaseline.InstallAsync(ct);
        const string label = "graphile-worker";
        var plan = Enumerable.Range(1, settings.WarmupRounds).Select(i => ($"{label}, warm-up {i}", Math.Min(settings.Warmup, settings.Count)))
            .Concat(Enumerable.Range(1, settings.Rounds).Select(i => ($"{label}, throughput {i}", settings.Count)))
            .Concat(Enumerable.Range(1, settings.BurstRounds).Select(i => ($"{label}, burst {i}", settings.Burst)))
            .ToList();
        var rounds = await GraphileBaseline.RunAsync(
            folder, PostgresUri(connectionString), plan, settings.GraphileConcurrency, settings.GraphileBatch, settings.Lead, ct);
        var results = rounds.Select(r =>
        {
            // The script reports lags relative to its own T; only the write lead is shown.
            var due = DateTimeOffset.UnixEpoch;
            var written = due - TimeSpan.FromMilliseconds(r.WrittenBeforeMs);
            var checks = new List<(string, bool)>
            {
                ($"{Text(r.Count)} jobs done", r.Left == 0 && r.LastDoneSeconds is not null),
                ("each job started once", r.Lags.Length == r.Count),
                ("jobs all written before the due instant", r.WrittenBeforeMs > 0),
            };
            var result = new RoundResult(
                r.Label, 1, r.Count, r.Count - r.Left, r.LastDoneSeconds, due, written, r.Lags, [], 0, [r.Lags.Length], 0, null, checks);
            Print(result);
            return result;
        }).ToList();
        return new ScenarioResult(
            1,
            results.Where(r => r.Label.Contains("throughput", StringComparison.Ordinal)).ToList(),
            results.Where(r => r.Label.Contains("burst", StringComparison.Ordinal)).ToList());
    }

    /// <summary>A database of its own on the benchmark's cluster, for a baseline's schema; its connection string.</summary>
    private static async Task<string> BaselineDatabaseAsync(BenchmarkDatabase database, string name, CancellationToken ct)
    {
        await using (var admin = await database.OpenOwnerConnectionAsync(ct))
        {
            await ExecuteAsync(admin, $"CREATE DATABASE {name}", ct);
        }

        return new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>node-postgres takes a URI.</summary>
    private static string PostgresUri(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgres://{Uri.EscapeDataString(b.Username ?? "postgres")}:{Uri.EscapeDataString(b.Password ?? string.Empty)}@{b.Host}:{b.Port}/{b.Database}";
    }

    // ---------------------------------------------------------------- Hangfire

    private static async Task<RoundResult> HangfireScenarioAsync(BenchmarkDatabase database, SchedulerRunSettings settings, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine($"Hangfire.PostgreSql, {settings.HangfireServers} server process(es) × {settings.HangfireWorkers} workers: starting...");
        var connectionString = await BaselineDatabaseAsync(database, "hangfire_bench", ct);

        HangfireBaseline.ConfigureGlobal();
        var storage = HangfireBaseline.CreateStorage(connectionString, settings.HangfireLongPolling); // installs the schema
        var client = new BackgroundJobClient(storage);
        var servers = new List<WorkerProcess>();
        try
        {
            string[] options = ["--workers", Arg(settings.HangfireWorkers), "--long-polling", settings.HangfireLongPolling ? "true" : "false"];
            var starting = Enumerable.Range(1, settings.HangfireServers)
                .Select(i => WorkerProcess.StartAsync("hangfire", $"hf{i}", connectionString, options, ct))
                .ToList();
            foreach (var start in starting)
            {
                servers.Add(await start);
            }

            var label = $"Hangfire, {settings.HangfireServers} server{(settings.HangfireServers == 1 ? string.Empty : "s")}";
            var warmupCount = Math.Min(400, settings.HangfireJobs);
            var (warmup, rate) = await HangfireRoundAsync(connectionString, client, servers, warmupCount, settings.Lead + TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), $"{label}, warm-up", ct);
            Print(warmup);
            // Writing the jobs one by one takes a while: set the due instant far enough ahead that all are written before it.
            var lead = settings.Lead + TimeSpan.FromSeconds(1.3 * settings.HangfireJobs / rate);
            var (result, _) = await HangfireRoundAsync(connectionString, client, servers, settings.HangfireJobs, lead, settings.HangfireTimeout, $"{label}, throughput", ct);
            Print(result);
            return result;
        }
        finally
        {
            await Task.WhenAll(servers.Select(w => w.StopAsync()));
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<(RoundResult Result, double ScheduledPerSecond)> HangfireRoundAsync(
        string connectionString, BackgroundJobClient client, List<WorkerProcess> servers, int count, TimeSpan lead, TimeSpan timeout, string label, CancellationToken ct)
    {
        var before = await StatsAsync(servers, ct);
        var due = WholeMilliseconds(DateTimeOffset.UtcNow + lead);
        var ids = new long[count];
        void Write(int from, int to) => Parallel.For(
            from,
            to,
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => ids[i] = long.Parse(client.Schedule(() => HangfireJobs.NoOp(), due), CultureInfo.InvariantCulture));

        // The client's rate, for the next round's lead: timed over the second half (the first half warms it up).
        await Task.Run(() => Write(0, count / 2), ct);
        var writing = Stopwatch.StartNew();
        await Task.Run(() => Write(count / 2, count), ct);
        var scheduledPerSecond = (count - (count / 2)) / writing.Elapsed.TotalSeconds;
        var written = DateTimeOffset.UtcNow;
        var (low, high) = (ids.Min(), ids.Max());

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await UntilAsync(due, ct);
        var cpuBefore = MachineCpu.Read();
        var deadline = due + timeout;
        while (true)
        {
            var succeeded = await ScalarAsync<int>(
                connection, $"SELECT count(*)::int FROM {HangfireBaseline.Schema}.job WHERE id BETWEEN {low} AND {high} AND statename = 'Succeeded'", ct);
            if (succeeded >= count || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(PollEvery, ct);
        }

        var cpuAfter = MachineCpu.Read();
        var after = await StatsAsync(servers, ct);

        var processing = new Dictionary<long, List<double>>();
        var succeededAt = new Dictionary<long, double>();
        await using (var command = new NpgsqlCommand(
            $"""
             SELECT jobid, name, (extract(epoch FROM createdat - @due) * 1000)::float8 FROM {HangfireBaseline.Schema}.state
             WHERE jobid BETWEEN {low} AND {high} AND name IN ('Processing', 'Succeeded')
             """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime>("due", due.UtcDateTime) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var job = reader.GetInt64(0);
                var at = reader.GetDouble(2);
                if (reader.GetString(1) == "Processing")
                {
                    if (!processing.TryGetValue(job, out var list))
                    {
                        processing[job] = list = [];
                    }

                    list.Add(at);
                }
                else
                {
                    succeededAt[job] = at;
                }
            }
        }

        var done = succeededAt.Count;
        double? lastDone = done == count ? succeededAt.Values.Max() / 1000 : null;
        var checks = new List<(string, bool)>
        {
            ($"{Text(count)} jobs succeeded", done == count),
            ("each job processed once", processing.Values.All(p => p.Count == 1) && processing.Count >= done),
            ("jobs all written before the due instant", written < due),
        };
        var split = Enumerable.Range(0, servers.Count).Select(i => (after[i] - before[i]).Completed).ToArray();
        var serverCpu = Enumerable.Range(0, servers.Count).Sum(i => (after[i] - before[i]).CpuMilliseconds) / 1000.0;
        var result = new RoundResult(
            label, servers.Count, count, done, lastDone, due, written, processing.Values.Select(p => p.Min()).ToArray(),
            succeededAt.Values.ToArray(), 0, split, serverCpu, MachineCpu.BusyPercent(cpuBefore, cpuAfter), checks)
        {
            Timeout = timeout,
        };
        return (result, scheduledPerSecond);
    }

    // ---------------------------------------------------------------- Results

    /// <summary>One round: <see cref="Count"/> runs (or jobs) due at <see cref="Due"/>.</summary>
    private sealed record RoundResult(
        string Label,
        int Instances,
        int Count,
        int Done,
        double? LastDoneSeconds,
        DateTimeOffset Due,
        DateTimeOffset Written,
        double[] StartLagsMs,
        double[] DoneLagsMs,
        int ClaimBatches,
        long[] Split,
        double InstancesCpuSeconds,
        double? MachineBusyPercent,
        IReadOnlyList<(string Name, bool Ok)> Checks)
    {
        public TimeSpan? Timeout { get; init; }

        public bool Ok => Checks.All(c => c.Ok);

        public bool Finished => Done == Count && LastDoneSeconds is not null;

        /// <summary>Runs per second until the last one was recorded; if unfinished, what was done by the time-out.</summary>
        public double PerSecond => Finished
            ? Count / LastDoneSeconds!.Value
            : Done / (Timeout ?? TimeSpan.FromSeconds(Math.Max(60, Count / 20.0))).TotalSeconds;
    }

    private static void Print(RoundResult r)
    {
        var drained = r.Finished ? $"{r.LastDoneSeconds:F2} s after T" : $"NOT finished ({Text(r.Done)} done)";
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {r.Label}: {Text(r.Count)} due; written {(r.Due - r.Written).TotalSeconds:F1} s before T; all done {drained}: {r.PerSecond:N0}/s; start lag p50 {Percentile(r.StartLagsMs, 0.5)} / p99 {Percentile(r.StartLagsMs, 0.99)} / max {Percentile(r.StartLagsMs, 1)} ms; split {string.Join(" / ", r.Split.Select(Text))}; {(r.Ok ? "checks ok" : "CHECKS FAILED")}"));
        foreach (var (name, ok) in r.Checks.Where(c => !c.Ok))
        {
            Console.WriteLine($"    FAIL {name}");
        }
    }

    private static void Report(
        SchedulerRunSettings settings, List<ScenarioResult> scenarios, ScenarioResult? graphile, RoundResult? hangfire, string serverVersion,
        string loadBefore, TimeSpan elapsed)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {serverVersion} (same machine, throwaway cluster, fsync off)."));
        Console.WriteLine($"Load average before: {loadBefore}; after: {LoadAverage()}. Wall-clock time of the whole run: {elapsed.TotalMinutes:F1} min.");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Radiant: MaxConcurrentRuns {settings.MaxConcurrentRuns}, BatchSize {settings.BatchSize}, {settings.Tenants} tenants × {settings.UsersPerTenant} users, no-op chat client; each instance its own process."));
        if (graphile is not null)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{GraphileBaseline.Package}: one node process, concurrency {settings.GraphileConcurrency}, localQueue.size {settings.GraphileBatch}, completeJobBatchDelay 0, no-op task; jobs added in one addJobs call with runAt = T."));
        }

        if (hangfire is not null)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Hangfire 1.8 + Hangfire.PostgreSql 1.21: {settings.HangfireServers} BackgroundJobServer processes × {settings.HangfireWorkers} workers, SchedulePollingInterval 1 s, QueuePollInterval 100 ms{(settings.HangfireLongPolling ? ", EnableLongPolling" : string.Empty)}, time-out {settings.HangfireTimeout.TotalSeconds:F0} s after T."));
        }

        Console.WriteLine();
        Console.WriteLine("| Round | Instances | Due at T | Done | T → last done (s) | Done per second | Start lag p50 / p99 / max (ms) | T → recorded p50 / p99 (ms) | Claims | Split | Instances' CPU (s) | Machine busy | Checks |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|");
        var named = scenarios.Select(s => (Name: $"Radiant, {s.Workers} worker{(s.Workers == 1 ? string.Empty : "s")}", Scenario: s)).ToList();
        if (graphile is not null)
        {
            named.Add(("graphile-worker", graphile));
        }

        foreach (var (name, scenario) in named)
        {
            foreach (var round in scenario.Throughputs)
            {
                Row(round, median: scenario.Throughputs.Count > 1 && ReferenceEquals(round, scenario.Throughput));
            }

            var bursts = scenario.Bursts;
            if (bursts.Count > 0)
            {
                var pooled = new RoundResult(
                    $"{name}, burst ×{bursts.Count} (pooled)",
                    scenario.Workers,
                    bursts.Sum(b => b.Count),
                    bursts.Sum(b => b.Done),
                    bursts.All(b => b.Finished) ? bursts.Max(b => b.LastDoneSeconds!.Value) : null,
                    bursts[0].Due,
                    bursts[0].Written,
                    bursts.SelectMany(b => b.StartLagsMs).ToArray(),
                    bursts.SelectMany(b => b.DoneLagsMs).ToArray(),
                    bursts.Sum(b => b.ClaimBatches),
                    Enumerable.Range(0, bursts[0].Split.Length).Select(i => bursts.Sum(b => b.Split[i])).ToArray(),
                    bursts.Sum(b => b.InstancesCpuSeconds),
                    null,
                    bursts.SelectMany(b => b.Checks).ToList());
                Row(pooled, perSecond: false);
            }
        }

        if (hangfire is not null)
        {
            Row(hangfire);
        }

        Console.WriteLine();
        Console.WriteLine("Start lag: run row started_at (claim transaction) − scheduled_for; graphile-worker: task entered − T (node's clock); Hangfire: Processing state created − due. \"T → last done\": last completed_at (graphile-worker: the jobs table seen empty, polled every 20 ms; Hangfire: last Succeeded state) − T; done per second = due ÷ that. Burst rows pool the rounds' lags; \"T → last done\" is the slowest round. \"(median)\" marks the throughput round with the median rate, which the ratios use.");
        foreach (var (name, scenario) in named.Where(n => n.Scenario.Throughputs.Count > 1))
        {
            var rates = scenario.Throughputs.Select(t => t.PerSecond).Order().ToArray();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: {rates.Length} throughput rounds, median {scenario.Throughput.PerSecond:N0}/s, range {rates[0]:N0}–{rates[^1]:N0}/s."));
        }

        Console.WriteLine();
        foreach (var (name, scenario) in named.Where(n => !ReferenceEquals(n.Scenario, graphile)))
        {
            var r = scenario.Throughput;
            if (graphile is not null)
            {
                var g = graphile.Throughput;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name} / graphile-worker: throughput {r.PerSecond / g.PerSecond:F2}×, start lag p50 {Ratio(g.StartLagsMs, r.StartLagsMs, 0.5)} lower, p99 {Ratio(g.StartLagsMs, r.StartLagsMs, 0.99)} lower."));
            }

            if (hangfire is not null)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name} / Hangfire ({hangfire.Instances} servers): throughput {r.PerSecond / hangfire.PerSecond:F1}×{(hangfire.Finished ? string.Empty : " (Hangfire did not finish: its partial rate)")}, start lag p50 {Ratio(hangfire.StartLagsMs, r.StartLagsMs, 0.5)} lower, p99 {Ratio(hangfire.StartLagsMs, r.StartLagsMs, 0.99)} lower."));
            }
        }

        Console.WriteLine();
        var all = named.SelectMany(n => n.Scenario.Throughputs.Concat(n.Scenario.Bursts)).Concat(hangfire is null ? [] : [hangfire]).ToList();
        foreach (var round in all)
        {
            var shown = round.Ok ? round.Checks : round.Checks.Where(c => !c.Ok).ToList();
            Console.WriteLine($"{(round.Ok ? "ok  " : "FAIL")} {round.Label}: {string.Join("; ", shown.Select(c => c.Name))}");
        }
    }

    private static void Row(RoundResult r, bool perSecond = true, bool median = false)
    {
        var done = r.Finished ? Text(r.Done) : $"{Text(r.Done)} (time-out)";
        var last = r.LastDoneSeconds is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) : "—";
        var rate = perSecond ? $"{(r.Finished ? string.Empty : "≥ ")}**{r.PerSecond.ToString("N0", CultureInfo.InvariantCulture)}**" : "—";
        var lag = $"{Percentile(r.StartLagsMs, 0.5)} / {Percentile(r.StartLagsMs, 0.99)} / {Percentile(r.StartLagsMs, 1)}";
        var recorded = $"{Percentile(r.DoneLagsMs, 0.5)} / {Percentile(r.DoneLagsMs, 0.99)}";
        var claims = r.ClaimBatches > 0 ? Text(r.ClaimBatches) : "—";
        var busy = r.MachineBusyPercent is { } b ? b.ToString("F0", CultureInfo.InvariantCulture) + " %" : "—";
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {r.Label}{(median ? " (median)" : string.Empty)} | {r.Instances} | {Text(r.Count)} | {done} | {last} | {rate} | {lag} | {recorded} | {claims} | {string.Join(" / ", r.Split.Select(Text))} | {r.InstancesCpuSeconds:F1} | {busy} | {(r.Ok ? "ok" : "FAIL")} |"));
    }

    // ---------------------------------------------------------------- Helpers

    private static string Ratio(double[] baseline, double[] values, double p)
    {
        if (baseline.Length == 0 || values.Length == 0)
        {
            return "n/a";
        }

        var b = Sorted(baseline, p);
        var v = Sorted(values, p);
        return v <= 0 ? "∞×" : (b / v).ToString("F1", CultureInfo.InvariantCulture) + "×";
    }

    private static string Percentile(double[] values, double p) =>
        values.Length == 0 ? "—" : Sorted(values, p).ToString("F0", CultureInfo.InvariantCulture);

    private static double Sorted(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string Text(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Arg(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static DateTimeOffset WholeMilliseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static async Task UntilAsync(DateTimeOffset instant, CancellationToken ct)
    {
        var wait = instant - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, ct);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<T> ScalarAsync<T>(BenchmarkDatabase database, string sql, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        return await ScalarAsync<T>(connection, sql, ct);
    }

    /// <summary>Whole-machine CPU use from <c>/proc/stat</c> (Linux): every process, this benchmark's and others'.</summary>
    private static class MachineCpu
    {
        public static (long Busy, long Total)? Read()
        {
            if (!File.Exists("/proc/stat"))
            {
                return null;
            }

            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var total = fields.Take(8).Sum();
            var idle = fields[3] + fields[4];
            return (total - idle, total);
        }

        public static double? BusyPercent((long Busy, long Total)? before, (long Busy, long Total)? after) =>
            before is { } b && after is { } a && a.Total > b.Total ? 100.0 * (a.Busy - b.Busy) / (a.Total - b.Total) : null;
    }
}
