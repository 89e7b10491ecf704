using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Radiant.Tests.Faults;

/// <summary>
/// The fault tests' model: answers at once and remembers each call — which run it was for and when — so a test can
/// tell when runs started after an outage and that no run called the model twice.
/// </summary>
public sealed class RecordingChatClient : IChatClient
{
    private readonly ConcurrentQueue<(Guid RunId, long At)> _calls = new();

    public IReadOnlyList<(Guid RunId, long At)> Calls => [.. _calls];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var runId = options?.AdditionalProperties?.TryGetValue("radiant.run_id", out var id) == true && id is Guid run ? run : Guid.Empty;
        _calls.Enqueue((runId, Stopwatch.GetTimestamp()));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield return new ChatResponseUpdate(ChatRole.Assistant, "ok");
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}

/// <summary>One answered request of <see cref="Traffic"/>: when it started and ended (<see cref="Stopwatch"/> timestamps) and what it got.</summary>
public sealed record Answer(long Started, long Ended, HttpStatusCode Status, TimeSpan? RetryAfter, string? Problem)
{
    public bool Served => (int)Status is >= 200 and < 300;

    public override string ToString() => $"{(int)Status} retry-after {RetryAfter?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {Problem}";
}

/// <summary>
/// Clients calling the API in a loop — a read and a write each round, a short pause between rounds — until stopped, at
/// most <c>maxRounds</c> rounds each (a bounded loop against loopback). Every answer is kept.
/// </summary>
public sealed class Traffic : IAsyncDisposable
{
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _clients;

    private Traffic(IReadOnlyList<HttpClient> clients, TimeSpan pause, int maxRounds) =>
        _clients = Task.WhenAll(clients.Select(client => Task.Run(() => LoopAsync(client, pause, maxRounds))));

    public IReadOnlyList<Answer> Answers => [.. _answers];

    public static Traffic Start(IReadOnlyList<HttpClient> clients, TimeSpan pause, int maxRounds = 5_000) => new(clients, pause, maxRounds);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _clients;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(HttpClient client, TimeSpan pause, int maxRounds)
    {
        for (var round = 0; round < maxRounds && !_stop.IsCancellationRequested; round++)
        {
            await SendAsync(() => client.GetAsync("/api/personas?limit=5", CancellationToken.None));
            await SendAsync(() => client.PostAsJsonAsync("/api/personas", new { name = $"P{Guid.NewGuid():N}", systemPrompt = "You are wise." }, CancellationToken.None));
            try
            {
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await send();
        var problem = response.IsSuccessStatusCode ? null : await response.Content.ReadAsStringAsync(CancellationToken.None);
        _answers.Enqueue(new Answer(started, Stopwatch.GetTimestamp(), response.StatusCode, response.Headers.RetryAfter?.Delta, problem));
    }
}

/// <summary>A bounded burst: <c>clients</c> concurrent clients, each sending its requests one after another.</summary>
public static class Load
{
    public static async Task<IReadOnlyList<Answer>> RunAsync(int clients, int requestsPerClient, Func<int, Task<HttpResponseMessage>> send)
    {
        var answers = new ConcurrentQueue<Answer>();
        using var start = new SemaphoreSlim(0, clients);
        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            await start.WaitAsync();
            for (var i = 0; i < requestsPerClient; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await send(client);
                var problem = response.IsSuccessStatusCode ? null : await response.Content.ReadAsStringAsync(CancellationToken.None);
                answers.Enqueue(new Answer(started, Stopwatch.GetTimestamp(), response.StatusCode, response.Headers.RetryAfter?.Delta, problem));
            }
        })).ToList();
        start.Release(clients); // all at once
        await Task.WhenAll(tasks);
        return [.. answers];
    }

    /// <summary>The latency below which <paramref name="share"/> of the answers came (nearest rank).</summary>
    public static TimeSpan Percentile(IReadOnlyList<Answer> answers, double share)
    {
        var sorted = answers.Select(a => Stopwatch.GetElapsedTime(a.Started, a.Ended)).Order().ToList();
        return sorted[Math.Max(0, (int)Math.Ceiling(share * sorted.Count) - 1)];
    }
}
