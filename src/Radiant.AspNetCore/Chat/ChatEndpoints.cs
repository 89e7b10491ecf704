using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Radiant.AspNetCore.Chat;
using Radiant.AspNetCore.Http;
using Radiant.Chat;

namespace Microsoft.AspNetCore.Builder;

public static partial class RadiantEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /api/thinktank/chat</c> (send a message; the whole reply as JSON, or server-sent events with
    /// <c>?stream=true</c> or <c>Accept: text/event-stream</c>) and <c>POST /api/thinktank/estimate</c> (the same
    /// resolution without calling the provider: tokens, the model and why, the charge range).
    /// </summary>
    public static RouteGroupBuilder MapRadiantChat(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapFeatureGroup<IRadiantChat>("Chat", "AddChat");

        group.MapPost("/api/thinktank/chat", async (JsonBody<RadiantChatRequest> body, BoolValue? stream, HttpContext http, IRadiantChat chat, CancellationToken ct) =>
            {
                if (stream?.Value == true || ChatEventStream.IsRequested(http.Request))
                {
                    // The first update is read here, inside the error filter: a refusal (validation, limits, no model,
                    // unavailable database) is still a problem response; later failures are an 'error' event.
                    return await ChatEventStream.StartAsync(chat.GetStreamingResponseAsync(http.Caller(), body.Value, ct), ct);
                }

                return (IResult)TypedResults.Ok(await chat.GetResponseAsync(http.Caller(), body.Value, ct));
            })
            .WithName("Chat")
            .WithSummary("Sends a message through Radiant: prompts applied, model resolved (null or 'auto' lets the router choose), budget reserved, provider called, exact charge recorded. Streams server-sent events (started, delta, completed, error) when asked.")
            .Produces<RadiantChatResponse>()
            .Produces<RadiantChatUpdate>(StatusCodes.Status200OK, ChatEventStream.ContentType)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status502BadGateway);

        group.MapPost("/api/thinktank/estimate", async (JsonBody<RadiantChatRequest> body, HttpContext http, IRadiantChat chat, CancellationToken ct) =>
                TypedResults.Ok(await chat.EstimateAsync(http.Caller(), body.Value, ct)))
            .WithName("EstimateChat")
            .WithSummary("Resolves a message as a send would, without calling the provider or reserving: the prompt's tokens, the model auto would choose and why, and the charge range.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        return group;
    }
}
