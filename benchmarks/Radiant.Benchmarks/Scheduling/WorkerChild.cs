using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Radiant.Postgres.Scheduling;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>
/// One worker instance of the scheduler benchmark, in its own process (<c>scheduler-worker radiant|hangfire id
/// [--key value]...</c>, started by <see cref="WorkerProcess"/>; the connection string comes in
/// <see cref="WorkerProcess.ConnectionVariable"/>). It prints <c>ready</c> once started, then answers commands read
/// from standard input: <c>stats</c> (runs counted so far and the process's CPU time) and <c>stop</c>. Logs go to
/// standard error.
/// </summary>
internal static class WorkerChild
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2)
        {
            await Console.Error.WriteLineAsync("usage: scheduler-worker radiant|hangfire <worker id> [--key value]...");
            return 2;
        }

        var kind = args[0];
        var id = args[1];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 2; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        var connectionString = Environment.GetEnvironmentVariable(WorkerProcess.ConnectionVariable)
            ?? throw new InvalidOperationException($"{WorkerProcess.ConnectionVariable} is not set.");
        return kind switch
        {
            "radiant" => await RadiantAsync(id, connectionString, options),
            "hangfire" => await HangfireAsync(id, connectionString, options),
            _ => throw new ArgumentException($"Unknown worker kind '{kind}'.", nameof(args)),
        };
    }

    private static async Task<int> RadiantAsync(string id, string connectionString, Dictionary<string, string> options)
    {
        var maxConcurrentRuns = Int(options, "max-concurrent", 1000);
        var batchSize = Int(options, "batch", 500);
        var logLevel = Enum.Parse<LogLevel>(options.GetValueOrDefault("log", "Warning"), ignoreCase: true);

        // Every SQL command with its start and duration, from Npgsql's tracing (an ActivitySource named "Npgsql").
        using var sqlLog = options.GetValueOrDefault("sql-log") == "true" ? SqlTrace() : null;

        // Built and started like the other benchmarks' instances (and like a generic host does): the services, then
        // every hosted service in registration order (Radiant's start-up, the pricing engine, ..., the worker).
        var services = new ServiceCollection();
        // Standard output carries the protocol with the benchmark process: every log line goes to standard error.
        services.AddLogging(b => b.SetMinimumLevel(logLevel).AddProvider(new StandardErrorLoggerProvider()));
        // The service login: the benchmark process migrated and synced the catalogue as the owner before starting workers.
        services.AddRadiant().UsePostgres(connectionString, o =>
        {
            o.MigrateOnStartup = false;
            o.SyncBuiltInCatalogOnStartup = false;
        }).AddScheduler().AddSchedulerWorker(o =>
        {
            o.WorkerId = id;
            o.MaxConcurrentRuns = maxConcurrentRuns;
            o.BatchSize = batchSize;
        });
        services.AddKeyedChatClient("openai", new NoOpChatClient());

        using var counts = new RunCounter();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await ServeAsync(() => counts.Describe());
        foreach (var service in Enumerable.Reverse(hosted))
        {
            await service.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static async Task<int> HangfireAsync(string id, string connectionString, Dictionary<string, string> options)
    {
        var workerCount = Int(options, "workers", 20);
        HangfireBaseline.ConfigureGlobal();
        var counter = new PerformedCounter();
        GlobalJobFilters.Filters.Add(counter);
        var storage = HangfireBaseline.CreateStorage(connectionString, options.GetValueOrDefault("long-polling") == "true");
        using (var server = new BackgroundJobServer(
            new BackgroundJobServerOptions
            {
                ServerName = id,
                WorkerCount = workerCount,
                SchedulePollingInterval = TimeSpan.FromSeconds(1),
            },
            storage))
        {
            await ServeAsync(() => Describe(counter.Performed, counter.Performed, 0));
            server.SendStop();
        }

        return 0;
    }

    private static ActivityListener SqlTrace()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                var sql = (activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement") ?? activity.DisplayName).ToString() ?? string.Empty;
                sql = string.Join(' ', sql.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"SQL {activity.StartTimeUtc:HH:mm:ss.ffffff} {activity.Duration.TotalMilliseconds,8:F2} ms {sql[..Math.Min(sql.Length, 110)]}"));
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static async Task ServeAsync(Func<string> stats)
    {
        await Console.Out.WriteLineAsync("ready");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "stats")
            {
                await Console.Out.WriteLineAsync(stats());
            }
            else if (line == "stop")
            {
                break;
            }
        }
    }

    internal static string Describe(long started, long completed, long failed)
    {
        using var self = Process.GetCurrentProcess();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"stats {started} {completed} {failed} {(long)self.TotalProcessorTime.TotalMilliseconds}");
    }

    private static int Int(Dictionary<string, string> options, string key, int fallback) =>
        options.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Counts the worker's runs through its own metrics (<see cref="SchedulerTelemetry"/>).</summary>
    private sealed class RunCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _started;
        private long _completed;
        private long _failed;

        public RunCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SchedulerTelemetry.Name && instrument.Name.StartsWith("radiant.scheduler.runs.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                switch (instrument.Name)
                {
                    case "radiant.scheduler.runs.started":
                        Interlocked.Add(ref _started, value);
                        break;
                    case "radiant.scheduler.runs.completed":
                        Interlocked.Add(ref _completed, value);
                        break;
                    case "radiant.scheduler.runs.failed":
                        Interlocked.Add(ref _failed, value);
                        break;
                }
            });
            _listener.Start();
        }

        public string Describe() => WorkerChild.Describe(Interlocked.Read(ref _started), Interlocked.Read(ref _completed), Interlocked.Read(ref _failed));

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>Writes log lines to standard error, one per line, prefixed with the time (UTC); the benchmark process adds the worker id.</summary>
internal sealed class StandardErrorLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}");
            Console.Error.WriteLine(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
        }
    }
}
