using System.Text.Json.Serialization;

namespace Radiant.ModelSelection;

/// <summary>
/// The seven domain modes a conversation can run in. Every tenant has all seven; its admins enable or disable each and
/// set its default model, temperature and system prompt override (<see cref="IDomainModeService"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DomainMode>))]
public enum DomainMode
{
    /// <summary>General queries (the default mode).</summary>
    [JsonStringEnumMemberName("general")]
    General,

    /// <summary>Healthcare and medical topics.</summary>
    [JsonStringEnumMemberName("medical")]
    Medical,

    /// <summary>Legal research and analysis.</summary>
    [JsonStringEnumMemberName("legal")]
    Legal,

    /// <summary>Programming and development.</summary>
    [JsonStringEnumMemberName("code")]
    Code,

    /// <summary>Research and education.</summary>
    [JsonStringEnumMemberName("academic")]
    Academic,

    /// <summary>Writing and content creation.</summary>
    [JsonStringEnumMemberName("creative")]
    Creative,

    /// <summary>Scientific research.</summary>
    [JsonStringEnumMemberName("scientific")]
    Scientific,
}

/// <summary>
/// How a tenant configured one domain mode. A mode an admin never changed has the defaults of
/// <see cref="DefaultFor"/>: enabled, <see cref="Auto"/>, temperature 0.7, no prompt override.
/// </summary>
/// <param name="Mode">The mode.</param>
/// <param name="Enabled">Whether users may pick the mode.</param>
/// <param name="DefaultModel">The model a message in this mode uses by default: a registry model id, or
/// <see cref="Auto"/> to let the router choose.</param>
/// <param name="Temperature">Sampling temperature, 0 to 2 with at most 2 decimals.</param>
/// <param name="SystemPromptOverride">The system prompt this mode uses instead of the conversation's default one, or null
/// for none.</param>
/// <param name="UpdatedAt">When an admin last changed the mode; null while it has its defaults.</param>
public sealed record DomainModeConfig(
    DomainMode Mode,
    bool Enabled,
    string DefaultModel,
    decimal Temperature,
    string? SystemPromptOverride,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>The <see cref="DefaultModel"/> that lets the router choose the model for each message.</summary>
    public const string Auto = "auto";

    /// <summary>The temperature of a mode an admin has not changed.</summary>
    public const decimal DefaultTemperature = 0.7m;

    /// <summary>A mode with its defaults: enabled, <see cref="Auto"/>, <see cref="DefaultTemperature"/>, no override.</summary>
    public static DomainModeConfig DefaultFor(DomainMode mode) => new(mode, true, Auto, DefaultTemperature, null, null);
}
