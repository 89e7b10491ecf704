using Radiant.Tenancy;

namespace Radiant.Chat;

/// <summary>
/// Chat through Radiant: for each message, applies the persona, focus mode and domain mode prompts, resolves the model
/// (the request's, the user's default or the router's), reserves the worst case against the user's maximum cost per
/// message and the team, calls the provider's <c>IChatClient</c> (registered keyed by provider id), charges the
/// exact price, and records one usage record per provider call. A transient provider failure before any output falls
/// back to the next model the router ranked.
/// </summary>
/// <remarks>
/// Refusals: <see cref="Errors.RadiantValidationException"/> for a bad request or a model the user may not pick,
/// <see cref="Errors.RadiantLimitExceededException"/> when the cost limit or the team leaves no room (with what
/// remains), <see cref="Errors.RadiantConflictException"/> for a request id already answered,
/// <see cref="Routing.NoModelFitsException"/> when the router finds nothing, and
/// <see cref="ChatProviderException"/> when the provider failed (the reservation is released; nothing is charged).
/// </remarks>
public interface IRadiantChat
{
    /// <summary>Sends a message and returns the whole reply.</summary>
    Task<RadiantChatResponse> GetResponseAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a message and streams the reply. Cancelling (or abandoning the enumeration) mid-stream charges what was
    /// consumed: the prompt and the reply's tokens received so far.
    /// </summary>
    IAsyncEnumerable<RadiantChatUpdate> GetStreamingResponseAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken = default);

    /// <summary>Resolves a message as a send would, without calling the provider or reserving: tokens, model, charge range.</summary>
    Task<RadiantChatEstimate> EstimateAsync(RadiantCaller caller, RadiantChatRequest request, CancellationToken cancellationToken = default);
}

/// <summary>
/// The provider could not answer the message (after any fallback): nothing was charged and the reservation was
/// released. <see cref="Exception.Message"/> says what kind of failure, never where (HTTP: 502).
/// </summary>
public sealed class ChatProviderException(string message, bool transient, Exception? innerException = null)
    : Errors.RadiantException(message, innerException)
{
    /// <summary>True when trying again later may succeed (a timeout, a 429 or 5xx, a broken connection).</summary>
    public bool Transient { get; } = transient;
}
