using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Radiant.Errors;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Benchmarks.Teams;

/// <summary>
/// Concurrent usage recording against one shared-pool team (not a BenchmarkDotNet suite): 32 members, one client
/// each, every client recording <see cref="TokensPerCall"/> tokens per call for a fixed number of calls, against a
/// pool that runs out partway. Reports records per second (accepted and refused alike) and checks that the pool was
/// never overspent and that every accepted call, and only those, is in the log. Then, on the same cluster and in the
/// same run, the baseline: pgbench with 32 clients, each transaction a guarded UPDATE of one row plus an INSERT (the
/// single-row limit when every record is its own transaction). <c>--no-pgbench</c> skips it.
/// </summary>
internal static class TeamUsageRun
{
    private const int Clients = 32;
    private const long TokensPerCall = 100;
    private const double PoolShare = 0.6;
    private const int WarmupCallsPerClient = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var callsPerClient = positional.Length > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 250;
        var pgbenchSeconds = args.Contains("--no-pgbench") ? 0 : 15;
        var ct = CancellationToken.None;

        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        var database = await BenchmarkDatabase.StartAsync(ct);
        try
        {
            var result = await RunAsync(database, callsPerClient, ct);
            if (pgbenchSeconds > 0)
            {
                await PgbenchBaselineAsync(database, pgbenchSeconds, ct);
            }

            return result;
        }
        finally
        {
            await database.DisposeAsync();
            Console.WriteLine("PostgreSQL cluster stopped and deleted.");
        }
    }

    private static async Task<int> RunAsync(BenchmarkDatabase database, int callsPerClient, CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        database.UsePostgres(services.AddRadiant()).AddTeams();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(ct);
        }

        try
        {
            var teams = provider.GetRequiredService<ITeamService>();
            var directory = provider.GetRequiredService<ITenantDirectory>();

            // Warm-up on a team of its own with room for everything (JIT, connection pool, plans).
            var (warmupTeam, warmupMembers) = await CreateTeamAsync(teams, directory, "Warm-up", Clients * WarmupCallsPerClient * TokensPerCall, ct);
            await RecordAllAsync(teams, warmupTeam, warmupMembers, WarmupCallsPerClient, ct);

            var asked = Clients * (long)callsPerClient * TokensPerCall;
            var pool = (long)(asked * PoolShare) / TokensPerCall * TokensPerCall;
            var (team, members) = await CreateTeamAsync(teams, directory, "Benchmark", pool, ct);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Clients} members, one client each, {callsPerClient} calls of {TokensPerCall} tokens per client ({asked:N0} tokens asked) against a shared pool of {pool:N0}."));

            var sw = Stopwatch.StartNew();
            var result = await RecordAllAsync(teams, team, members, callsPerClient, ct);
            var elapsed = sw.Elapsed;

            var (used, logRows, logTokens) = await ReadTotalsAsync(database, team.Id, ct);
            var calls = result.Accepted + result.Refused;
            var checks = new (string Name, bool Ok)[]
            {
                ("used <= pool", used <= pool),
                ("used = 100 × accepted", used == TokensPerCall * result.Accepted),
                ("log rows = accepted", logRows == result.Accepted),
                ("logged tokens = used", logTokens == used),
                ("pool exhausted (accepted = pool / 100)", result.Accepted == pool / TokensPerCall),
                ("every refusal names team_pool", result.OtherErrors == 0),
            };

            Console.WriteLine();
            var serverVersion = await ServerVersionAsync(database, ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {serverVersion}"));
            Console.WriteLine();
            Console.WriteLine("| Measure | Value |");
            Console.WriteLine("|---|---:|");
            Row("Calls (accepted + refused)", calls.ToString("N0", CultureInfo.InvariantCulture));
            Row("Wall-clock time (s)", elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture));
            Row("**Records per second (accepted + refused)**", (calls / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture));
            Row("Accepted", result.Accepted.ToString("N0", CultureInfo.InvariantCulture));
            Row("Refused (team_pool)", result.Refused.ToString("N0", CultureInfo.InvariantCulture));
            Row("Accepted calls per second, until the pool ran out", (result.Accepted / result.PoolRanOutAfter.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture));
            Row("Latency per call, median (ms)", Percentile(result.Latencies, 0.50));
            Row("Latency per call, p95 (ms)", Percentile(result.Latencies, 0.95));
            Row("Latency per call, p99 (ms)", Percentile(result.Latencies, 0.99));
            Row("Pool / used / log rows", string.Create(CultureInfo.InvariantCulture, $"{pool:N0} / {used:N0} / {logRows:N0}"));
            Console.WriteLine();
            foreach (var (name, ok) in checks)
            {
                Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {name}");
            }

            return checks.All(c => c.Ok) ? 0 : 1;
        }
        finally
        {
            foreach (var service in Enumerable.Reverse(hosted))
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<(TeamPlan Team, RadiantCaller[] Members)> CreateTeamAsync(
        ITeamService teams, ITenantDirectory directory, string name, long pool, CancellationToken ct)
    {
        var tenant = Guid.NewGuid();
        var members = new RadiantCaller[Clients];
        for (var i = 0; i < Clients; i++)
        {
            members[i] = new RadiantCaller(tenant, Guid.NewGuid());
            await directory.EnsureUserAsync(new UserProfile(members[i], $"member{i}@example.test", $"Member {i}", "Benchmark tenant"), ct);
        }

        var team = await teams.CreateAsync(members[0], new TeamCreate(name, TeamPlanType.Team, Clients, pool), ct);
        for (var i = 1; i < Clients; i++)
        {
            await teams.InviteAsync(members[0], team.Id, new TeamInvitation(members[i].UserId), ct);
            await teams.AcceptInvitationAsync(members[i], team.Id, ct);
        }

        return (team, members);
    }

    private static async Task<RunResult> RecordAllAsync(ITeamService teams, TeamPlan team, RadiantCaller[] members, int callsPerClient, CancellationToken ct)
    {
        var accepted = 0;
        var refused = 0;
        var other = 0;
        var latencies = new double[members.Length * callsPerClient];
        var clock = Stopwatch.StartNew();
        long firstRefusalTicks = long.MaxValue;
        var usage = new TeamUsage(TokensPerCall, "gpt-4o", "chat");

        await Task.WhenAll(members.Select((member, client) => Task.Run(
            async () =>
            {
                for (var call = 0; call < callsPerClient; call++)
                {
                    var start = clock.ElapsedTicks;
                    try
                    {
                        await teams.RecordUsageAsync(member, team.Id, usage, ct);
                        Interlocked.Increment(ref accepted);
                    }
                    catch (RadiantLimitExceededException e) when (e.Limit == "team_pool")
                    {
                        Interlocked.Increment(ref refused);
                        // Keep the earliest refusal: when the pool ran out.
                        var now = clock.ElapsedTicks;
                        var seen = Interlocked.Read(ref firstRefusalTicks);
                        while (now < seen)
                        {
                            var previous = Interlocked.CompareExchange(ref firstRefusalTicks, now, seen);
                            if (previous == seen)
                            {
                                break;
                            }

                            seen = previous;
                        }
                    }
                    catch (Exception e) when (e is RadiantException or NpgsqlException)
                    {
                        Interlocked.Increment(ref other);
                        Console.Error.WriteLine($"Unexpected error: {e.GetType().Name}: {e.Message}");
                    }

                    latencies[(client * callsPerClient) + call] = (clock.ElapsedTicks - start) * 1000.0 / Stopwatch.Frequency;
                }
            },
            ct)));

        var ranOut = firstRefusalTicks == long.MaxValue ? clock.Elapsed : TimeSpan.FromSeconds((double)firstRefusalTicks / Stopwatch.Frequency);
        return new RunResult(accepted, refused, other, latencies, ranOut);
    }

    private static async Task<(long Used, long LogRows, long LogTokens)> ReadTotalsAsync(BenchmarkDatabase database, Guid teamId, CancellationToken ct)
    {
        // As the owner (the superuser, which bypasses row-level security).
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             SELECT p.tokens_used_this_period, count(l.id), coalesce(sum(l.tokens_used), 0)::bigint
             FROM {BenchmarkDatabase.Schema}.team_plans p
             LEFT JOIN {BenchmarkDatabase.Schema}.team_usage_log l ON l.tenant_id = p.tenant_id AND l.team_id = p.id
             WHERE p.id = @team GROUP BY p.tokens_used_this_period
             """,
            connection);
        command.Parameters.AddWithValue("team", teamId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// The baseline: pgbench on the same cluster, 32 clients (2 threads), each transaction
    /// <c>BEGIN; UPDATE one row guarded by its limit; INSERT a log row; END</c> against a single row.
    /// </summary>
    internal static async Task PgbenchBaselineAsync(BenchmarkDatabase database, int seconds, CancellationToken ct)
    {
        await using (var connection = await database.OpenOwnerConnectionAsync(ct))
        {
            await using var setup = new NpgsqlCommand(
                """
                DROP SCHEMA IF EXISTS pgbench_team CASCADE;
                CREATE SCHEMA pgbench_team;
                CREATE TABLE pgbench_team.plan (id integer PRIMARY KEY, used bigint NOT NULL, total bigint NOT NULL);
                CREATE TABLE pgbench_team.log (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), plan_id integer NOT NULL REFERENCES pgbench_team.plan,
                    tokens bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
                CREATE INDEX ON pgbench_team.log (plan_id, created_at DESC);
                INSERT INTO pgbench_team.plan VALUES (1, 0, 9223372036854775807);
                """,
                connection);
            await setup.ExecuteNonQueryAsync(ct);
        }

        var script = Path.Combine(Path.GetTempPath(), $"radiant-pgbench-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(
            script,
            """
            BEGIN;
            UPDATE pgbench_team.plan SET used = used + 100 WHERE id = 1 AND used + 100 <= total;
            INSERT INTO pgbench_team.log (plan_id, tokens) VALUES (1, 100);
            END;

            """,
            ct);
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            var start = new ProcessStartInfo("pgbench") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            string[] arguments =
            [
                "-n", "-c", "32", "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture), "-f", script,
                "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username!, cs.Database!,
            ];
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PGPASSWORD"] = cs.Password;
            Console.WriteLine();
            Console.WriteLine($"Baseline, same cluster, right after: pgbench -n -c 32 -j 2 -T {seconds} -f <BEGIN; guarded UPDATE of one row; INSERT; END>");
            using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start.");
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var lines = (await output).Split('\n');
            var tps = lines.FirstOrDefault(l => l.StartsWith("tps", StringComparison.Ordinal))?.Trim();
            var latency = lines.FirstOrDefault(l => l.StartsWith("latency average", StringComparison.Ordinal))?.Trim();
            Console.WriteLine(process.ExitCode == 0 ? $"| pgbench, 32 clients | {tps}; {latency} |" : $"pgbench failed ({process.ExitCode}): {await errors}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"pgbench could not be started ({e.Message}); the baseline was skipped.");
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static async Task<string> ServerVersionAsync(BenchmarkDatabase database, CancellationToken ct)
    {
        await using var connection = await database.OpenOwnerConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT 'PostgreSQL ' || current_setting('server_version')", connection);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    private static string Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var value = sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
        return value.ToString("F2", CultureInfo.InvariantCulture);
    }

    private static void Row(string name, string value) => Console.WriteLine($"| {name} | {value} |");

    private sealed record RunResult(int Accepted, int Refused, int OtherErrors, double[] Latencies, TimeSpan PoolRanOutAfter);
}
