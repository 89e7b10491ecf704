using System.Globalization;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>Options of the <c>scheduler</c> mode (see <see cref="SchedulerRun"/>).</summary>
internal sealed record SchedulerRunSettings
{
    public const string Usage = """
        scheduler [--count N] [--rounds N] [--burst N] [--burst-rounds N] [--workers 1,2] [--max-concurrent N] [--batch N]
                  [--tenants N] [--warmup N] [--warmup-rounds N] [--lead SECONDS] [--worker-log LEVEL] [--sql-log] [--timeline] [--skip-radiant]
                  [--skip-graphile] [--graphile-concurrency N] [--graphile-batch N]
                  [--skip-hangfire] [--hangfire-count N] [--hangfire-servers N] [--hangfire-workers N]
                  [--hangfire-timeout SECONDS] [--hangfire-long-polling]
        """;

    /// <summary>Once schedules due at one instant in the throughput round.</summary>
    public int Count { get; init; } = 10_000;

    /// <summary>Throughput rounds per worker count; the median is reported (the machine is noisy).</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Schedules due at one instant in each burst round.</summary>
    public int Burst { get; init; } = 300;

    public int BurstRounds { get; init; } = 3;

    /// <summary>Worker instance counts to measure, one scenario each.</summary>
    public IReadOnlyList<int> WorkerCounts { get; init; } = [1, 2];

    public int MaxConcurrentRuns { get; init; } = 1000;

    public int BatchSize { get; init; } = 500;

    public int Tenants { get; init; } = 10;

    public int UsersPerTenant { get; init; } = 10;

    /// <summary>Runs of each warm-up round a scenario starts with (JIT, pools, plans); not reported. At most <see cref="Count"/>.</summary>
    public int Warmup { get; init; } = 10_000;

    /// <summary>Warm-up rounds (written due in <c>0.5 s</c>, so they cost little more than their runs).</summary>
    public int WarmupRounds { get; init; } = 5;

    /// <summary>How far ahead of "now" the due instant is set when the schedules are written.</summary>
    public TimeSpan Lead { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Minimum log level of the worker processes (logs go to standard error).</summary>
    public string WorkerLog { get; init; } = "Warning";

    /// <summary>Log every SQL command the Radiant workers run, with its duration (Npgsql's logging, to standard error).</summary>
    public bool SqlLog { get; init; }

    /// <summary>Print each Radiant round's claim and recording transactions (when, how many runs) after it.</summary>
    public bool Timeline { get; init; }

    public bool SkipRadiant { get; init; }

    public bool SkipHangfire { get; init; }

    public bool SkipGraphile { get; init; }

    /// <summary>graphile-worker's concurrency (jobs in flight in its one node process).</summary>
    public int GraphileConcurrency { get; init; } = 50;

    /// <summary>graphile-worker's localQueue.size: jobs fetched and locked per query (batched mode).</summary>
    public int GraphileBatch { get; init; } = 500;

    /// <summary>Jobs of the Hangfire round; defaults to <see cref="Count"/>.</summary>
    public int? HangfireCount { get; init; }

    public int HangfireServers { get; init; } = 2;

    public int HangfireWorkers { get; init; } = 20;

    /// <summary>
    /// The Hangfire round stops this long after the due instant, finished or not (partial figures are reported). Long
    /// enough by default for it to finish (its 10,000 jobs took 113–123 s here); its time never decides the exit code.
    /// </summary>
    public TimeSpan HangfireTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Hangfire.PostgreSql's EnableLongPolling (LISTEN/NOTIFY wake-up of the workers); off by default.</summary>
    public bool HangfireLongPolling { get; init; }

    public int HangfireJobs => HangfireCount ?? Count;

    public static SchedulerRunSettings Parse(string[] args)
    {
        var settings = new SchedulerRunSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.\n{Usage}");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            settings = name switch
            {
                "--count" => settings with { Count = Int() },
                "--rounds" => settings with { Rounds = Int() },
                "--burst" => settings with { Burst = Int() },
                "--burst-rounds" => settings with { BurstRounds = Int() },
                "--workers" => settings with { WorkerCounts = Value().Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray() },
                "--max-concurrent" => settings with { MaxConcurrentRuns = Int() },
                "--batch" => settings with { BatchSize = Int() },
                "--tenants" => settings with { Tenants = Int() },
                "--warmup" => settings with { Warmup = Int() },
                "--warmup-rounds" => settings with { WarmupRounds = Int() },
                "--lead" => settings with { Lead = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--worker-log" => settings with { WorkerLog = Value() },
                "--sql-log" => settings with { SqlLog = true },
                "--timeline" => settings with { Timeline = true },
                "--skip-radiant" => settings with { SkipRadiant = true },
                "--skip-hangfire" => settings with { SkipHangfire = true },
                "--skip-graphile" => settings with { SkipGraphile = true },
                "--graphile-concurrency" => settings with { GraphileConcurrency = Int() },
                "--graphile-batch" => settings with { GraphileBatch = Int() },
                "--hangfire-count" => settings with { HangfireCount = Int() },
                "--hangfire-servers" => settings with { HangfireServers = Int() },
                "--hangfire-workers" => settings with { HangfireWorkers = Int() },
                "--hangfire-long-polling" => settings with { HangfireLongPolling = true },
                "--hangfire-timeout" => settings with { HangfireTimeout = TimeSpan.FromSeconds(Int()) },
                _ => throw new ArgumentException($"Unknown option {name}.\n{Usage}"),
            };
        }

        if (settings.Count < 1 || settings.Rounds < 1 || settings.Burst < 1 || settings.Tenants < 1 || settings.WorkerCounts.Any(w => w < 1) || settings.HangfireServers < 1)
        {
            throw new ArgumentException($"Counts must be positive.\n{Usage}");
        }

        return settings;
    }
}
