using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Radiant.AspNetCore.Http;
using Radiant.Chat;
using Radiant.Errors;

namespace Radiant.AspNetCore.Chat;

/// <summary>
/// A streamed chat reply as server-sent events: one event per update, named by its kind (<c>started</c>,
/// <c>delta</c>, <c>completed</c>), its data the update as JSON; a failure after the stream started is an
/// <c>error</c> event with a problem object (<c>title</c>, <c>detail</c>, <c>status</c>), then the stream ends.
/// </summary>
internal sealed partial class ChatEventStream : IResult
{
    public const string ContentType = "text/event-stream";

    private readonly IAsyncEnumerator<RadiantChatUpdate> _updates;

    private ChatEventStream(IAsyncEnumerator<RadiantChatUpdate> updates) => _updates = updates;

    public static bool IsRequested(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(ContentType, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the first update (so that a refusal is thrown to the error filter) and returns the stream.</summary>
    public static async Task<IResult> StartAsync(IAsyncEnumerable<RadiantChatUpdate> updates, CancellationToken cancellationToken)
    {
        var enumerator = updates.GetAsyncEnumerator(cancellationToken);
        try
        {
            if (!await enumerator.MoveNextAsync())
            {
                throw new InvalidOperationException("The chat pipeline ended without an update.");
            }
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }

        return new ChatEventStream(enumerator);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var ct = httpContext.RequestAborted;
        await using (_updates)
        {
            try
            {
                do
                {
                    var update = _updates.Current;
                    await WriteAsync(response, Name(update.Kind), JsonSerializer.Serialize(update, RadiantJsonContext.Default.RadiantChatUpdate), ct);
                }
                while (await _updates.MoveNextAsync());
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away; the pipeline charged what was consumed.
            }
            catch (RadiantException e)
            {
                var (status, title) = e switch
                {
                    ChatProviderException => (StatusCodes.Status502BadGateway, "The model provider failed."),
                    RadiantUnavailableException => (StatusCodes.Status503ServiceUnavailable, "Service unavailable."),
                    _ => (StatusCodes.Status409Conflict, "The message could not be completed."),
                };
                LogStreamFailed(httpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Radiant.AspNetCore.Chat"), e);
                var problem = new StreamProblem(title, e.Message, status);
                await WriteAsync(response, "error", JsonSerializer.Serialize(problem, RadiantJsonContext.Default.StreamProblem), CancellationToken.None);
            }
        }
    }

    private static string Name(RadiantChatUpdateKind kind) => kind switch
    {
        RadiantChatUpdateKind.Started => "started",
        RadiantChatUpdateKind.Delta => "delta",
        _ => "completed",
    };

    private static async Task WriteAsync(HttpResponse response, string name, string json, CancellationToken ct)
    {
        // JSON has no raw line breaks, so one data line per event.
        await response.WriteAsync(string.Concat("event: ", name, "\ndata: ", json, "\n\n"), Encoding.UTF8, ct);
        await response.Body.FlushAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A streamed chat reply ended with an error event.")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception);
}

/// <summary>The data of an <c>error</c> event.</summary>
internal sealed record StreamProblem(string Title, string Detail, int Status);
