using System.Text.Json.Serialization;

namespace Radiant.Routing;

/// <summary>
/// What a model can do, as the router matches it against a message. Derived from a catalogue entry's modalities and
/// capabilities by <see cref="RoutingRules.CapabilitiesOf"/>.
/// </summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<RoutingCapabilities>))]
public enum RoutingCapabilities
{
    /// <summary>Text in, text out: every model that can reply.</summary>
    [JsonStringEnumMemberName("none")]
    None = 0,

    /// <summary>Reads images (an <c>image</c> modality, or the <c>vision</c> / <c>image_analysis</c> capability).</summary>
    [JsonStringEnumMemberName("vision")]
    Vision = 1,

    /// <summary>Hears audio (an <c>audio</c> modality, or the <c>audio</c> / <c>voice</c> capability).</summary>
    [JsonStringEnumMemberName("audio")]
    Audio = 2,

    /// <summary>Writes and reviews code (<c>code</c>, <c>code_generation</c> or <c>code_review</c>).</summary>
    [JsonStringEnumMemberName("code")]
    Code = 4,

    /// <summary>Reasons step by step (<c>reasoning</c>, <c>chain_of_thought</c> or <c>extended_thinking</c>).</summary>
    [JsonStringEnumMemberName("reasoning")]
    Reasoning = 8,

    /// <summary>Calls tools or acts as an agent (<c>tool_use</c>, <c>computer_use</c> or <c>agents</c>).</summary>
    [JsonStringEnumMemberName("tool_use")]
    ToolUse = 16,

    /// <summary>Searches current information (<c>search</c>, <c>realtime_info</c> or <c>citations</c>).</summary>
    [JsonStringEnumMemberName("search")]
    Search = 32,
}

/// <summary>What a message carries besides its text, each kind needing a capability (see <see cref="RoutingRules.CapabilitiesFor(RoutingAttachments)"/>).</summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<RoutingAttachments>))]
public enum RoutingAttachments
{
    /// <summary>Text only.</summary>
    [JsonStringEnumMemberName("none")]
    None = 0,

    /// <summary>One or more images: needs <see cref="RoutingCapabilities.Vision"/>.</summary>
    [JsonStringEnumMemberName("image")]
    Image = 1,

    /// <summary>Audio: needs <see cref="RoutingCapabilities.Audio"/>.</summary>
    [JsonStringEnumMemberName("audio")]
    Audio = 2,

    /// <summary>A document whose extracted text is part of the prompt (counted in its tokens): needs nothing more.</summary>
    [JsonStringEnumMemberName("file")]
    File = 4,
}

/// <summary>
/// The routing rules that are not arithmetic, written once: how a catalogue entry's strings become
/// <see cref="RoutingCapabilities"/>, what a message's attachments and its domain mode require, and how models rank.
/// </summary>
/// <remarks>
/// <para><b>Ranking ("best").</b> Among the models that fit, the best is the first by: standard models before novel
/// ones (<see cref="RoutingModel.IsNovel"/>: experimental models are picked automatically only when no standard model
/// fits); then the quality tier of the category (<see cref="QualityTier"/>: flagship, balanced, economy, specialized,
/// anything else); then the catalogue's display order; then the model id (ordinal). With cost optimisation the
/// cheapest estimated charge comes first instead, ties broken by that same ranking.</para>
/// <para><b>Capabilities.</b> Attachments and <see cref="RoutingRequest.RequiredCapabilities"/> are hard requirements
/// for every rule (a model that cannot read an image cannot answer a message carrying one). The domain mode's
/// capabilities (<see cref="CapabilitiesForMode"/>: <c>code</c> needs <see cref="RoutingCapabilities.Code"/>) guide
/// the automatic choice only; a user's per-mode override or the mode's default model is the person's or the admin's
/// own choice for that mode and is not second-guessed.</para>
/// </remarks>
public static class RoutingRules
{
    /// <summary>The model id that means "let the router choose" (as the seed's selectors send it), like null.</summary>
    public const string Auto = "auto";

    /// <summary>The reply budget when a request sets no <see cref="RoutingRequest.MaxOutputTokens"/> (and the option keeps its default).</summary>
    public const int DefaultReplyTokens = 4096;

    /// <summary>The domain mode whose automatic choice needs <see cref="RoutingCapabilities.Code"/>.</summary>
    public const string CodeMode = "code";

    /// <summary>True when <paramref name="modelId"/> names a model, false for null, blank or <see cref="Auto"/>.</summary>
    public static bool NamesModel(string? modelId) =>
        !string.IsNullOrWhiteSpace(modelId) && !string.Equals(modelId.Trim(), Auto, StringComparison.OrdinalIgnoreCase);

    /// <summary>The capabilities a message's attachments need: vision for images, audio for audio, nothing for documents.</summary>
    public static RoutingCapabilities CapabilitiesFor(RoutingAttachments attachments) =>
        ((attachments & RoutingAttachments.Image) != 0 ? RoutingCapabilities.Vision : RoutingCapabilities.None)
        | ((attachments & RoutingAttachments.Audio) != 0 ? RoutingCapabilities.Audio : RoutingCapabilities.None);

    /// <summary>
    /// The capabilities the automatic choice needs in a domain mode (case-insensitive): <c>code</c> needs
    /// <see cref="RoutingCapabilities.Code"/>; the other modes (general, medical, legal, academic, creative,
    /// scientific, or a tenant's own) need nothing beyond text. A host wanting more passes
    /// <see cref="RoutingRequest.RequiredCapabilities"/>.
    /// </summary>
    public static RoutingCapabilities CapabilitiesForMode(string? domainMode) =>
        string.Equals(domainMode?.Trim(), CodeMode, StringComparison.OrdinalIgnoreCase) ? RoutingCapabilities.Code : RoutingCapabilities.None;

    /// <summary>The capabilities of a catalogue entry, from its modalities and capability strings (case-insensitive; unknown strings add nothing).</summary>
    public static RoutingCapabilities CapabilitiesOf(IEnumerable<string> modalities, IEnumerable<string> capabilities)
    {
        ArgumentNullException.ThrowIfNull(modalities);
        ArgumentNullException.ThrowIfNull(capabilities);
        var result = RoutingCapabilities.None;
        foreach (var modality in modalities)
        {
            result |= modality?.Trim().ToUpperInvariant() switch
            {
                "IMAGE" => RoutingCapabilities.Vision,
                "AUDIO" => RoutingCapabilities.Audio,
                _ => RoutingCapabilities.None,
            };
        }

        foreach (var capability in capabilities)
        {
            result |= capability?.Trim().ToUpperInvariant() switch
            {
                "VISION" or "IMAGE_ANALYSIS" => RoutingCapabilities.Vision,
                "AUDIO" or "VOICE" => RoutingCapabilities.Audio,
                "CODE" or "CODE_GENERATION" or "CODE_REVIEW" => RoutingCapabilities.Code,
                "REASONING" or "CHAIN_OF_THOUGHT" or "EXTENDED_THINKING" => RoutingCapabilities.Reasoning,
                "TOOL_USE" or "COMPUTER_USE" or "AGENTS" => RoutingCapabilities.ToolUse,
                "SEARCH" or "REALTIME_INFO" or "CITATIONS" => RoutingCapabilities.Search,
                _ => RoutingCapabilities.None,
            };
        }

        return result;
    }

    /// <summary>
    /// The quality tier of a catalogue category, lower is better: <c>flagship</c> 0, <c>balanced</c> 1, <c>economy</c>
    /// 2, <c>specialized</c> 3 (strong at one thing, so after the general-purpose tiers), anything else 4
    /// (case-insensitive).
    /// </summary>
    public static int QualityTier(string? category) => category?.Trim().ToUpperInvariant() switch
    {
        "FLAGSHIP" => 0,
        "BALANCED" => 1,
        "ECONOMY" => 2,
        "SPECIALIZED" => 3,
        _ => 4,
    };

    /// <summary>The capability names, lower case and comma-separated (<c>vision, code</c>), for messages.</summary>
    public static string Describe(RoutingCapabilities capabilities)
    {
        if (capabilities == RoutingCapabilities.None)
        {
            return "none";
        }

        var names = new List<string>(6);
        foreach (var (flag, name) in Names)
        {
            if ((capabilities & flag) != 0)
            {
                names.Add(name);
            }
        }

        return string.Join(", ", names);
    }

    private static readonly (RoutingCapabilities Flag, string Name)[] Names =
    [
        (RoutingCapabilities.Vision, "vision"), (RoutingCapabilities.Audio, "audio"), (RoutingCapabilities.Code, "code"),
        (RoutingCapabilities.Reasoning, "reasoning"), (RoutingCapabilities.ToolUse, "tool use"), (RoutingCapabilities.Search, "search"),
    ];

    internal const RoutingCapabilities AllCapabilities =
        RoutingCapabilities.Vision | RoutingCapabilities.Audio | RoutingCapabilities.Code | RoutingCapabilities.Reasoning
        | RoutingCapabilities.ToolUse | RoutingCapabilities.Search;

    internal const RoutingAttachments AllAttachments = RoutingAttachments.Image | RoutingAttachments.Audio | RoutingAttachments.File;
}
