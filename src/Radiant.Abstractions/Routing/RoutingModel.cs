using Radiant.Registry;

namespace Radiant.Routing;

/// <summary>A model as the router sees it: what it can do, how much it holds, and where it ranks.</summary>
/// <param name="Id">The model id (as in the registry and the pricing snapshot).</param>
/// <param name="ProviderId">Its provider: the pipeline picks the chat client by it.</param>
/// <param name="ContextWindow">Context window in tokens: the prompt plus the reply must fit in it.</param>
/// <param name="MaxOutputTokens">The longest reply the model writes, in tokens; 0 for a model that writes none (an embedding model).</param>
/// <param name="Capabilities">What it can do.</param>
public sealed record RoutingModel(string Id, string ProviderId, int ContextWindow, int MaxOutputTokens, RoutingCapabilities Capabilities)
{
    /// <summary>The catalogue category (<c>flagship</c>, <c>balanced</c>, <c>economy</c>, <c>specialized</c>, ...): its <see cref="RoutingRules.QualityTier"/> ranks the model.</summary>
    public string Category { get; init; } = "";

    /// <summary>True for a cutting-edge or experimental model: ranked after every standard model.</summary>
    public bool IsNovel { get; init; }

    /// <summary>The catalogue's display order (lower first), which ranks models of one tier.</summary>
    public int DisplayOrder { get; init; }

    /// <summary>
    /// Whether a tenant without its own setting for the model may be routed to it. From a catalogue entry: whether it
    /// is offered in Think Tank by default (<see cref="ModelDefinition.ThinkTankEnabled"/>).
    /// </summary>
    public bool EnabledByDefault { get; init; } = true;

    /// <summary>The routing view of a catalogue entry (capabilities by <see cref="RoutingRules.CapabilitiesOf"/>).</summary>
    public static RoutingModel FromDefinition(ModelDefinition model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new RoutingModel(
            model.Id, model.ProviderId, model.ContextWindow, model.MaxOutputTokens, RoutingRules.CapabilitiesOf(model.Modalities, model.Capabilities))
        {
            Category = model.Category,
            IsNovel = model.IsNovel,
            DisplayOrder = model.DisplayOrder,
            EnabledByDefault = model.ThinkTankEnabled,
        };
    }
}
