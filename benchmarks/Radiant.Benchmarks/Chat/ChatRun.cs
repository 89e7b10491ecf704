using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Chat;
using Radiant.Postgres.Chat;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Benchmarks.Chat;

/// <summary>
/// What the chat pipeline costs (a wall-clock console run, not a BenchmarkDotNet suite: each call is a database
/// transaction or three). The provider is an in-process <see cref="IChatClient"/> that answers at once, so what is
/// measured is Radiant alone. Phase 1, sequential: the provider called directly (the baseline, same run), Radiant
/// with a named model and no team, Radiant auto-routed on a team; each stage's mean from the pipeline's own
/// <c>radiant.chat.stage.duration</c> histogram. Phase 2: 32 concurrent clients chatting on one team (reserve, call,
/// record and settle) for <c>--seconds</c>, then pgbench's single-row limit on the same cluster.
/// </summary>
internal static class ChatRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var calls = Option(args, "--calls", 1000);
        var seconds = Option(args, "--seconds", 15);
        var ct = CancellationToken.None;
        Console.WriteLine("Starting a throwaway PostgreSQL cluster...");
        await using var database = await BenchmarkDatabase.StartAsync(ct);
        var provider = new InstantChatClient();
        var services = await database.StartInstanceAsync(ct, radiant =>
        {
            radiant.AddChat();
            radiant.Services.AddKeyedChatClient("openai", provider);
            radiant.Services.AddChatClient(provider); // every other provider of the catalogue
        });
        var chat = services.GetRequiredService<IRadiantChat>();
        var directory = services.GetRequiredService<ITenantDirectory>();
        var teams = services.GetRequiredService<ITeamService>();
        var user = new RadiantCaller(Guid.NewGuid(), Guid.NewGuid());
        await directory.EnsureUserAsync(new UserProfile(user, "bench@example.test", "Bench"), ct);
        var team = await teams.CreateAsync(user, new TeamCreate("Bench", TeamPlanType.Team, 10, 1_000_000_000_000L), ct);
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; load average {LoadAverage()}");

        using var stages = new StageListener();
        var messages = new List<ChatMessage> { new(ChatRole.User, "How many tokens does this sentence have?") };
        var direct = await TimeAsync(calls, _ => provider.GetResponseAsync(messages, new ChatOptions { ModelId = "gpt-4o-mini", MaxOutputTokens = 256 }, ct));
        stages.Reset();
        var named = await TimeAsync(calls, i => chat.GetResponseAsync(user, Ask("gpt-4o-mini", null), ct));
        var namedStages = stages.Means();
        stages.Reset();
        var routed = await TimeAsync(calls, i => chat.GetResponseAsync(user, Ask(null, team.Id), ct));
        var routedStages = stages.Means();

        Console.WriteLine();
        Console.WriteLine($"Phase 1: {calls:N0} sequential calls each (after {calls / 10:N0} warm-up calls)");
        Console.WriteLine("| Call | Mean (µs) | p50 (µs) | p99 (µs) | plan | reserve | provider | record |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(Row("Provider client directly (baseline)", direct, null));
        Console.WriteLine(Row("Radiant, named model, no team", named, namedStages));
        Console.WriteLine(Row("Radiant, auto-routed, on a team", routed, routedStages));

        // Phase 2: 32 clients on one team.
        var done = 0L;
        var refused = 0L;
        var latencies = new ConcurrentBag<double>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await chat.GetResponseAsync(user, Ask(null, team.Id), ct);
                    Interlocked.Increment(ref done);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (Radiant.Errors.RadiantException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        var stats = await teams.GetStatsAsync(user, team.Id, ct);
        var sorted = latencies.Order().ToArray();
        Console.WriteLine();
        Console.WriteLine($"Phase 2: 32 clients chatting on one team for {seconds} s (auto-routed; reserve, call, record and settle each)");
        Console.WriteLine("| Measure | Value |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Chats per second | {done / elapsed:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Chats / refused | {done:N0} / {refused:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Latency p50 / p99 (ms) | {sorted[sorted.Length / 2]:F1} / {sorted[(int)(sorted.Length * 0.99)]:F1} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Team tokens used | {stats.TokensUsed:N0} |"));
        await Radiant.Benchmarks.Teams.TeamUsageRun.PgbenchBaselineAsync(database, seconds, ct);
        return 0;

        RadiantChatRequest Ask(string? model, Guid? teamId) =>
            new([new RadiantChatMessage(ChatMessageRole.User, "How many tokens does this sentence have?")]) { ModelId = model, TeamId = teamId, MaxOutputTokens = 256 };
    }

    private static async Task<double[]> TimeAsync(int calls, Func<int, Task> call)
    {
        for (var i = 0; i < calls / 10; i++)
        {
            await call(i);
        }

        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call(i);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(times);
        return times;
    }

    private static string Row(string name, double[] times, Dictionary<string, double>? stages)
    {
        string Stage(string stage) => stages is not null && stages.TryGetValue(stage, out var mean) ? mean.ToString("N0", CultureInfo.InvariantCulture) : "—";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {times.Average():N0} | {times[times.Length / 2]:N0} | {times[(int)(times.Length * 0.99)]:N0} | {Stage("plan")} | {Stage("reserve")} | {Stage("provider")} | {Stage("record")} |");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Means of the pipeline's stage histogram, in microseconds, since the last reset.</summary>
    private sealed class StageListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, (double Sum, long Count)> _stages = new();

        public StageListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ChatTelemetry.Name && instrument.Name == "radiant.chat.stage.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "radiant.stage" && tag.Value is string stage)
                    {
                        _stages.AddOrUpdate(stage, (value, 1), (_, s) => (s.Sum + value, s.Count + 1));
                    }
                }
            });
            _listener.Start();
        }

        public void Reset() => _stages.Clear();

        public Dictionary<string, double> Means() => _stages.ToDictionary(p => p.Key, p => p.Value.Sum / p.Value.Count * 1_000_000);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A provider that answers at once with fixed usage: what remains is Radiant's own cost.</summary>
    private sealed class InstantChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Eight.")) { ModelId = options?.ModelId, Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 3 } });

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "Eight.");
            yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 12, OutputTokenCount = 3 })] };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
