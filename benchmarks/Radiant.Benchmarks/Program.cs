using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Radiant.Benchmarks;

// `-- propagation [rounds]`: wall-clock time for a change to reach a second instance (not a BenchmarkDotNet suite).
if (args.Length > 0 && args[0] == "propagation")
{
    return await PropagationRun.RunAsync(args[1..]);
}

// `-- startup [--tenants 1,10000]`: time to serve and to finish the catalogue sync at 1 and 10,000 tenants.
if (args.Length > 0 && args[0] == "startup")
{
    return await Radiant.Benchmarks.Startup.StartupRun.RunAsync(args[1..]);
}

// `-- team-usage [calls per client]`: 32 clients recording usage against one team's pool (not a BenchmarkDotNet suite).
if (args.Length > 0 && args[0] == "team-usage")
{
    return await Radiant.Benchmarks.Teams.TeamUsageRun.RunAsync(args[1..]);
}

// `-- scheduler [options]`: scheduled-prompt worker throughput and lag, 1 and 2 worker processes, against Hangfire.
if (args.Length > 0 && args[0] == "scheduler")
{
    return await Radiant.Benchmarks.Scheduling.SchedulerRun.RunAsync(args[1..]);
}

// `-- chat [--calls N] [--seconds N]`: the latency Radiant adds to a chat call, by stage, and chats per second on one team.
if (args.Length > 0 && args[0] == "chat")
{
    return await Radiant.Benchmarks.Chat.ChatRun.RunAsync(args[1..]);
}

// `-- overload [--clients N] [--seconds N] [--pools 100,default]`: the 300 clients for 20 s against Kestrel.
if (args.Length > 0 && args[0] == "overload")
{
    return await Radiant.Benchmarks.Faults.OverloadRun.RunAsync(args[1..]);
}

// `-- analytics [records] [--tenants N] [--ingest-seconds N]`: dashboards over generated usage records vs the naive aggregate, and ingest with and without rollups.
if (args.Length > 0 && args[0] == "analytics")
{
    return await Radiant.Benchmarks.Analytics.AnalyticsRun.RunAsync(args[1..]);
}

// `-- thinktank-export [users]`: peak memory and throughput of the Think Tank users' CSV export (default 1,000,000 users).
if (args.Length > 0 && args[0] == "thinktank-export")
{
    return await Radiant.Benchmarks.ThinkTank.ExportRun.RunAsync(args[1..]);
}

// `-- scheduler-worker ...`: one worker process of the `scheduler` run (started by it, not by hand).
if (args.Length > 0 && args[0] == "scheduler-worker")
{
    return await Radiant.Benchmarks.Scheduling.WorkerChild.RunAsync(args[1..]);
}

// Results go to benchmarks/BenchmarkDotNet.Artifacts whatever the working directory.
var benchmarksDirectory = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
    .Single(a => a.Key == "BenchmarksDirectory").Value!;
// Median and Min next to the mean: on a shared machine they show how much of the mean is other processes' noise.
var config = DefaultConfig.Instance
    .WithArtifactsPath(Path.Combine(benchmarksDirectory, "BenchmarkDotNet.Artifacts"))
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;

/// <summary>Entry point of the benchmark suites.</summary>
public partial class Program;
