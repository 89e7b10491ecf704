namespace Radiant.Registry;

/// <summary>A model in the catalogue, with its provider's list prices.</summary>
/// <param name="Id">Stable id, for example <c>claude-4-sonnet</c>.</param>
/// <param name="ProviderId">The <see cref="ProviderDefinition.Id"/> of its provider.</param>
/// <param name="DisplayName">Name shown to users.</param>
/// <param name="ContextWindow">Context window in tokens.</param>
/// <param name="MaxOutputTokens">Maximum output tokens per response.</param>
/// <param name="Modalities">Input/output modalities, for example <c>text</c>, <c>image</c>, <c>audio</c>.</param>
/// <param name="Capabilities">Capabilities, for example <c>chat</c>, <c>code</c>, <c>reasoning</c>.</param>
/// <param name="InputPricePer1M">Provider price per 1M input tokens, in dollars (at most 6 decimals).</param>
/// <param name="OutputPricePer1M">Provider price per 1M output tokens, in dollars (at most 6 decimals; 0 for embedding models).</param>
/// <param name="IsNovel">True for cutting-edge or experimental models (the Think Tank "novel" tab).</param>
/// <param name="Category">Category, for example <c>flagship</c>, <c>balanced</c>, <c>economy</c>, <c>specialized</c>, <c>novel</c>.</param>
/// <param name="ThinkTankEnabled">Offered in Think Tank by default.</param>
/// <param name="DisplayOrder">Order in Think Tank lists (lower first).</param>
public sealed record ModelDefinition(
    string Id,
    string ProviderId,
    string DisplayName,
    int ContextWindow,
    int MaxOutputTokens,
    IReadOnlyList<string> Modalities,
    IReadOnlyList<string> Capabilities,
    decimal InputPricePer1M,
    decimal OutputPricePer1M,
    bool IsNovel,
    string Category,
    bool ThinkTankEnabled,
    int DisplayOrder)
{
    /// <summary>True when the platform runs the model itself (self-hosted markup applies).</summary>
    public bool IsSelfHosted => ProviderId == ProviderDefinition.SelfHostedId;
}
