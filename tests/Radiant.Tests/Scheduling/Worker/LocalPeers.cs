using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenAI;
using Radiant.Scheduling;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>A real HTTP server (Kestrel) on 127.0.0.1 and a free port, for peers the worker talks to.</summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private LocalHttpServer(WebApplication app, Uri address)
    {
        _app = app;
        BaseAddress = address;
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseAddress { get; }

    /// <summary>Cancelled when the server is disposed: handlers that hold a request open end with it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public static async Task<LocalHttpServer> StartAsync(Action<WebApplication, Func<CancellationToken>> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        LocalHttpServer? server = null;
        map(app, () => server!.Stopping);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        server = new LocalHttpServer(app, new Uri(address + "/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Completes when <paramref name="token"/> is cancelled (holds a request open until then).</summary>
    public static async Task UntilCancelledAsync(CancellationToken token)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (token.Register(() => held.TrySetResult()))
        {
            await held.Task;
        }
    }
}

/// <summary>One chat-completions request as the peer received it.</summary>
public sealed record PeerRequest(int Number, string Model, string Prompt, DateTimeOffset ReceivedAt);

/// <summary>What the peer does with a request.</summary>
public abstract record PeerReply
{
    /// <summary>Answers 200 with <paramref name="Content"/> (default: a text unique to this peer and request) and this usage.</summary>
    public sealed record Answer(string? Content = null, int PromptTokens = 12, int CompletionTokens = 34) : PeerReply;

    /// <summary>Answers an OpenAI error body with this HTTP status.</summary>
    public sealed record Fail(int Status, string Message = "The peer refused this request.") : PeerReply;

    /// <summary>Never answers: holds the request open until the client goes away or the peer stops.</summary>
    public sealed record Hang : PeerReply;

    /// <summary>Answers 200 (not streamed) asking the client to call the function <paramref name="Name"/> with these JSON arguments.</summary>
    public sealed record ToolCall(string Name, string ArgumentsJson, int PromptTokens = 12, int CompletionTokens = 8) : PeerReply;
}

/// <summary>
/// A local chat provider speaking the OpenAI chat-completions protocol (POST /v1/chat/completions) over real HTTP,
/// scriptable per request number; counts and records every request. Workers reach it through the real OpenAI client.
/// </summary>
public sealed class ChatPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<PeerRequest> _requests = new();
    private readonly ConcurrentDictionary<string, PeerRequest> _answers = new(StringComparer.Ordinal);
    private LocalHttpServer? _server;
    private readonly ConcurrentQueue<int?> _maxTokens = new();
    private int _count;
    private int _abandoned;

    private ChatPeer(string name) => Name = name;

    public string Name { get; }

    /// <summary>What to do with request number n (1-based). Default: answer.</summary>
    public Func<PeerRequest, PeerReply> Script { get; set; } = _ => new PeerReply.Answer();

    /// <summary>Time the peer takes before it answers (a model is never instant).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Time between the chunks of a streamed answer (one word per chunk).</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>Streamed requests that ended because the client went away before the last chunk.</summary>
    public int AbandonedStreams => Volatile.Read(ref _abandoned);

    /// <summary>The max_completion_tokens (or max_tokens) of each request, in order of arrival.</summary>
    public IReadOnlyList<int?> MaxTokens => [.. _maxTokens];

    public int RequestCount => Volatile.Read(ref _count);

    public IReadOnlyList<PeerRequest> Requests => [.. _requests];

    /// <summary>Successful answers given, by content, with the request each answered.</summary>
    public IReadOnlyDictionary<string, PeerRequest> Answers => _answers;

    /// <summary>The OpenAI base address of this peer (…/v1).</summary>
    public Uri Endpoint => new(Server.BaseAddress, "v1");

    private LocalHttpServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public static async Task<ChatPeer> StartAsync(string name)
    {
        var peer = new ChatPeer(name);
        peer._server = await LocalHttpServer.StartAsync((app, stopping) =>
            app.MapPost("/v1/chat/completions", (HttpContext context) => peer.HandleAsync(context, stopping())));
        return peer;
    }

    /// <summary>The real OpenAI client pointed at this peer, without the SDK's own retries (the worker retries).</summary>
    public IChatClient CreateChatClient() =>
        new OpenAIClient(new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = Endpoint, RetryPolicy = new ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o")
            .AsIChatClient();

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        // Counted on arrival, before the body is read: a client that gives up while the body is still on its way
        // (an attempt timeout on a loaded machine) has still sent a request.
        var number = Interlocked.Increment(ref _count);
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var request = new PeerRequest(
            number,
            body.RootElement.GetProperty("model").GetString() ?? "",
            LastMessageText(body.RootElement.GetProperty("messages")),
            DateTimeOffset.UtcNow);
        _requests.Enqueue(request);
        var root = body.RootElement;
        int? requestMax =
            root.TryGetProperty("max_completion_tokens", out var maxCompletion) && maxCompletion.ValueKind == JsonValueKind.Number ? maxCompletion.GetInt32()
            : root.TryGetProperty("max_tokens", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt32() : null;
        _maxTokens.Enqueue(requestMax);
        var streamed = root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
        var reply = Script(request);
        if (reply is PeerReply.Answer scripted && requestMax is { } maxTokens && scripted.CompletionTokens > maxTokens)
        {
            // A real provider stops at the request's limit: so does the usage it reports.
            reply = scripted with { CompletionTokens = maxTokens };
        }

        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        if (Latency > TimeSpan.Zero && reply is not PeerReply.Hang)
        {
            await Task.Delay(Latency, aborted.Token);
        }

        switch (reply)
        {
            case PeerReply.Hang:
                await LocalHttpServer.UntilCancelledAsync(aborted.Token);
                context.Abort();
                return;
            case PeerReply.Fail fail:
                context.Response.StatusCode = fail.Status;
                await context.Response.WriteAsJsonAsync(
                    new JsonObject { ["error"] = new JsonObject { ["message"] = fail.Message, ["type"] = "peer_error", ["param"] = null, ["code"] = null } },
                    context.RequestAborted);
                return;
            case PeerReply.Answer answer when streamed:
                await StreamAsync(context, request, answer.Content ?? DefaultContent(request), answer, aborted.Token);
                return;
            case PeerReply.ToolCall call:
                await context.Response.WriteAsJsonAsync(ToolCallCompletion(request, call), context.RequestAborted);
                return;
            case PeerReply.Answer answer:
                var content = answer.Content ?? DefaultContent(request);
                _answers[content] = request;
                await context.Response.WriteAsJsonAsync(Completion(request, content, answer.PromptTokens, answer.CompletionTokens), context.RequestAborted);
                return;
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }
    }

    private string DefaultContent(PeerRequest request) => $"{Name} answer #{request.Number.ToString(CultureInfo.InvariantCulture)} to '{request.Prompt}'";

    /// <summary>
    /// A streamed answer as OpenAI sends it: server-sent events, one chunk per word (after <see cref="ChunkDelay"/>),
    /// a last chunk with the usage, then <c>[DONE]</c>. A client that goes away mid-stream is counted in
    /// <see cref="AbandonedStreams"/>.
    /// </summary>
    private async Task StreamAsync(HttpContext context, PeerRequest request, string content, PeerReply.Answer answer, CancellationToken aborted)
    {
        context.Response.ContentType = "text/event-stream";
        var id = $"chatcmpl-{request.Number.ToString(CultureInfo.InvariantCulture)}";
        var words = content.Split(' ');
        try
        {
            for (var i = 0; i < words.Length; i++)
            {
                if (ChunkDelay > TimeSpan.Zero)
                {
                    await Task.Delay(ChunkDelay, aborted);
                }

                var delta = new JsonObject { ["content"] = i == 0 ? words[i] : " " + words[i] };
                if (i == 0)
                {
                    delta["role"] = "assistant";
                }

                await WriteChunkAsync(context, Chunk(id, request, delta, null, null), aborted);
            }

            await WriteChunkAsync(context, Chunk(id, request, new JsonObject(), "stop", null), aborted);
            await WriteChunkAsync(context, Chunk(id, request, null, null, new JsonObject
            {
                ["prompt_tokens"] = answer.PromptTokens,
                ["completion_tokens"] = answer.CompletionTokens,
                ["total_tokens"] = answer.PromptTokens + answer.CompletionTokens,
            }), aborted);
            await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
            _answers[content] = request;
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _abandoned);
        }
    }

    private static JsonObject Chunk(string id, PeerRequest request, JsonObject? delta, string? finish, JsonObject? usage) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = request.ReceivedAt.ToUnixTimeSeconds(),
        ["model"] = request.Model,
        ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        ["usage"] = usage,
    };

    private static async Task WriteChunkAsync(HttpContext context, JsonObject chunk, CancellationToken aborted)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", aborted);
        await context.Response.Body.FlushAsync(aborted);
    }

    private static JsonObject Completion(PeerRequest request, string content, int promptTokens, int completionTokens) =>
        Completion(request, new JsonObject { ["role"] = "assistant", ["content"] = content, ["refusal"] = null }, "stop", promptTokens, completionTokens);

    private static JsonObject ToolCallCompletion(PeerRequest request, PeerReply.ToolCall call) =>
        Completion(
            request,
            new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["refusal"] = null,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = $"call_{request.Number.ToString(CultureInfo.InvariantCulture)}",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                }),
            },
            "tool_calls",
            call.PromptTokens,
            call.CompletionTokens);

    private static JsonObject Completion(PeerRequest request, JsonObject message, string finishReason, int promptTokens, int completionTokens) => new()
    {
        ["id"] = $"chatcmpl-{request.Number.ToString(CultureInfo.InvariantCulture)}",
        ["object"] = "chat.completion",
        ["created"] = request.ReceivedAt.ToUnixTimeSeconds(),
        ["model"] = request.Model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = message,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        }),
        ["usage"] = new JsonObject
        {
            ["prompt_tokens"] = promptTokens,
            ["completion_tokens"] = completionTokens,
            ["total_tokens"] = promptTokens + completionTokens,
        },
    };

    private static string LastMessageText(JsonElement messages)
    {
        var content = messages[messages.GetArrayLength() - 1].GetProperty("content");
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        // Content parts: [{ "type": "text", "text": "..." }]
        return string.Concat(content.EnumerateArray()
            .Where(p => p.TryGetProperty("text", out _))
            .Select(p => p.GetProperty("text").GetString()));
    }
}

/// <summary>One webhook delivery as the receiver got it, with the outcome of its own signature check.</summary>
public sealed record WebhookDelivery(int Number, string? Signature, string? DeliveryId, string? Event, byte[] Body, bool SignatureValid, int AnsweredStatus)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A webhook receiver on a real local HTTP server (POST /hook): verifies each delivery's signature with
/// <see cref="WebhookSignature.Verify"/> and the schedule's secret, and answers the scripted status.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<WebhookDelivery> _deliveries = new();
    private LocalHttpServer? _server;
    private int _count;

    /// <summary>The schedule's webhook secret (known once the schedule exists, before it runs).</summary>
    public string? Secret { get; set; }

    /// <summary>The status to answer delivery number n (1-based) with; 0 hangs until the sender gives up. Default 200.</summary>
    public Func<int, int> Script { get; set; } = _ => 200;

    public IReadOnlyList<WebhookDelivery> Deliveries => [.. _deliveries.OrderBy(d => d.Number)];

    public string Url => new Uri(_server!.BaseAddress, "hook").ToString();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        receiver._server = await LocalHttpServer.StartAsync((app, _) => app.MapPost("/hook", receiver.HandleAsync));
        return receiver;
    }

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var signature = context.Request.Headers[WebhookSignature.SignatureHeader].ToString();
        var valid = Secret is { } secret && WebhookSignature.Verify(secret, signature, body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var number = Interlocked.Increment(ref _count);
        var status = Script(number);
        _deliveries.Enqueue(new WebhookDelivery(
            number,
            signature,
            context.Request.Headers[WebhookSignature.DeliveryHeader].ToString(),
            context.Request.Headers[WebhookSignature.EventHeader].ToString(),
            body,
            valid,
            status));
        if (status == 0)
        {
            await LocalHttpServer.UntilCancelledAsync(context.RequestAborted);
            context.Abort();
            return;
        }

        context.Response.StatusCode = status;
        if (status is >= 300 and < 400)
        {
            context.Response.Headers.Location = "/hook"; // back to itself: a client that follows redirects comes again
        }

        await context.Response.WriteAsync(status < 300 ? "ok" : "receiver failure", context.RequestAborted);
    }
}

/// <summary>A message an SMTP client handed over: envelope and raw DATA (dot-stuffing undone).</summary>
public sealed record SmtpMessage(string MailFrom, IReadOnlyList<string> Recipients, string Data);

/// <summary>
/// A minimal real SMTP server on a TcpListener (127.0.0.1, free port): greets, answers EHLO, MAIL, RCPT, DATA, RSET,
/// NOOP and QUIT as RFC 5321 says, and keeps every message it accepted. With <see cref="NeverAnswer"/> it accepts
/// connections and then says nothing at all (no greeting) until the client hangs up: a mail server that hangs.
/// </summary>
public sealed class SmtpCapture : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<SmtpMessage> _messages = new();
    private readonly ConcurrentBag<Task> _sessions = [];
    private Task? _accepting;
    private int _connections;
    private int _closedByClient;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<SmtpMessage> Messages => [.. _messages];

    /// <summary>Accept connections but never send a byte (checked per connection).</summary>
    public bool NeverAnswer { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections the client has closed so far (with <see cref="NeverAnswer"/>: attempts given up).</summary>
    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    public static SmtpCapture Start()
    {
        var smtp = new SmtpCapture();
        smtp._listener.Start();
        smtp._accepting = smtp.AcceptAsync();
        return smtp;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await (_accepting ?? Task.CompletedTask);
            await Task.WhenAll(_sessions);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }

        _listener.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _sessions.Add(SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        Interlocked.Increment(ref _connections);
        var token = _stopping.Token;
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        if (NeverAnswer)
        {
            try
            {
                // Read (and ignore) whatever comes until the client closes the connection; answer nothing.
                while (await reader.ReadLineAsync(token) is not null)
                {
                }

                Interlocked.Increment(ref _closedByClient);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                if (e is IOException or SocketException)
                {
                    Interlocked.Increment(ref _closedByClient);
                }
            }

            return;
        }

        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 127.0.0.1 Radiant test SMTP ready");
        string? from = null;
        var recipients = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(token) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 127.0.0.1");
                        break;
                    case "MAIL":
                        from = Address(line);
                        recipients.Clear();
                        await writer.WriteLineAsync("250 2.1.0 Sender OK");
                        break;
                    case "RCPT":
                        recipients.Add(Address(line));
                        await writer.WriteLineAsync("250 2.1.5 Recipient OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 Start mail input; end with <CRLF>.<CRLF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        _messages.Enqueue(new SmtpMessage(from ?? "", [.. recipients], data.ToString()));
                        await writer.WriteLineAsync("250 2.0.0 Message accepted");
                        break;
                    case "RSET":
                        from = null;
                        recipients.Clear();
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.1 Command not implemented");
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client hung up, or the server is stopping.
        }
    }

    private static string Address(string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? line[(start + 1)..end] : line;
    }
}
