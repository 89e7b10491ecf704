using System.Text.Json;
using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.Personas;

/// <summary>A new persona. Bounds are in <see cref="PersonaLimits"/>.</summary>
/// <param name="Name">Name, 1–100 characters.</param>
/// <param name="SystemPrompt">The persona's prompt, required.</param>
/// <param name="DisplayName">Optional display name, at most 200 characters.</param>
/// <param name="AvatarUrl">Optional absolute http(s) URL.</param>
/// <param name="VoiceId">Optional voice identifier.</param>
/// <param name="Traits">Optional personality traits.</param>
/// <param name="Domains">Optional knowledge domains.</param>
/// <param name="Style">Optional conversation style, a JSON object.</param>
/// <param name="IsPublic">Share with the tenant.</param>
public sealed record PersonaCreate(
    string Name,
    string SystemPrompt,
    string? DisplayName = null,
    string? AvatarUrl = null,
    string? VoiceId = null,
    IReadOnlyList<string>? Traits = null,
    IReadOnlyList<string>? Domains = null,
    JsonElement? Style = null,
    bool IsPublic = false)
{
    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        errors.Required("name", Name, PersonaLimits.NameMaxLength);
        errors.Required("systemPrompt", SystemPrompt, PersonaLimits.SystemPromptMaxLength);
        errors.Optional("displayName", DisplayName, PersonaLimits.DisplayNameMaxLength);
        errors.HttpUrl("avatarUrl", AvatarUrl, PersonaLimits.AvatarUrlMaxLength);
        errors.Optional("voiceId", VoiceId, PersonaLimits.VoiceIdMaxLength);
        errors.ShortStrings("traits", Traits, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        errors.ShortStrings("domains", Domains, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        errors.JsonObject("style", Style, PersonaLimits.StyleMaxBytes);
        errors.ThrowIfAny();
    }
}

/// <summary>
/// A partial update of a persona: an absent field keeps its value; a present null clears an optional field
/// (lists become empty, the style an empty object). <see cref="Name"/>, <see cref="SystemPrompt"/> and
/// <see cref="IsPublic"/> cannot be cleared.
/// </summary>
public sealed record PersonaUpdate
{
    /// <summary>New name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Name { get; init; }

    /// <summary>New display name; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> DisplayName { get; init; }

    /// <summary>New avatar URL; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> AvatarUrl { get; init; }

    /// <summary>New prompt.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> SystemPrompt { get; init; }

    /// <summary>New voice id; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> VoiceId { get; init; }

    /// <summary>New traits; null clears them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<IReadOnlyList<string>?> Traits { get; init; }

    /// <summary>New domains; null clears them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<IReadOnlyList<string>?> Domains { get; init; }

    /// <summary>New style object; null resets it to an empty object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<JsonElement?> Style { get; init; }

    /// <summary>Share or unshare with the tenant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> IsPublic { get; init; }

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Name.HasValue)
        {
            errors.Required("name", Name.Value, PersonaLimits.NameMaxLength);
        }

        if (SystemPrompt.HasValue)
        {
            errors.Required("systemPrompt", SystemPrompt.Value, PersonaLimits.SystemPromptMaxLength);
        }

        if (DisplayName.HasValue)
        {
            errors.Optional("displayName", DisplayName.Value, PersonaLimits.DisplayNameMaxLength);
        }

        if (AvatarUrl.HasValue)
        {
            errors.HttpUrl("avatarUrl", AvatarUrl.Value, PersonaLimits.AvatarUrlMaxLength);
        }

        if (VoiceId.HasValue)
        {
            errors.Optional("voiceId", VoiceId.Value, PersonaLimits.VoiceIdMaxLength);
        }

        if (Traits.HasValue)
        {
            errors.ShortStrings("traits", Traits.Value, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        }

        if (Domains.HasValue)
        {
            errors.ShortStrings("domains", Domains.Value, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        }

        if (Style.HasValue)
        {
            errors.JsonObject("style", Style.Value, PersonaLimits.StyleMaxBytes);
        }

        errors.ThrowIfAny();
    }
}
