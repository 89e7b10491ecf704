using Microsoft.Extensions.AI;
using Radiant.Chat;
using Radiant.Routing;

namespace Radiant.Postgres.Chat;

/// <summary>A model the pipeline may call for a message, in the order it tries them.</summary>
/// <param name="ModelId">The registry model.</param>
/// <param name="ProviderId">Its provider (the key of its <c>IChatClient</c>).</param>
/// <param name="Choice">How it was chosen, for the response.</param>
/// <param name="ReplyTokens">The reply budget before the cost limit and the team shrink it.</param>
internal sealed record ChatCandidate(string ModelId, string ProviderId, ModelChoice Choice, int ReplyTokens);

/// <summary>Everything a message resolved to before any provider call: prompts, tokens and the candidates.</summary>
internal sealed record ChatPlan(
    string RequestId,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<string> Texts,
    float Temperature,
    IReadOnlyList<ChatCandidate> Candidates,
    IReadOnlyList<RoutingExclusion> Exclusions,
    decimal? MaxCostPerMessage,
    string DomainMode,
    Guid? PersonaId,
    Guid? TeamId)
{
    /// <summary>The client every attempt calls (the middleware's inner client); null: the provider's keyed client.</summary>
    public IChatClient? Client { get; init; }

    /// <summary>The middleware caller's own options (tools, response format...), without Radiant's context; null otherwise.</summary>
    public ChatOptions? Options { get; init; }
}
