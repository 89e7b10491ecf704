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
    public void Validate() => PersonaRules.Check(Name, SystemPrompt, DisplayName, AvatarUrl, VoiceId, new(Traits), new(Domains), Style);
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
    public void Validate() => PersonaRules.Check(Name, SystemPrompt, DisplayName, AvatarUrl, VoiceId, Traits, Domains, Style);

    /// <summary>The persona with this update applied: present fields replace; a null clears (lists become empty, the style <c>{}</c>).</summary>
    public Persona ApplyTo(Persona current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            Name = Name.GetValueOrDefault(current.Name)!,
            DisplayName = DisplayName.GetValueOrDefault(current.DisplayName),
            AvatarUrl = AvatarUrl.GetValueOrDefault(current.AvatarUrl),
            SystemPrompt = SystemPrompt.GetValueOrDefault(current.SystemPrompt)!,
            VoiceId = VoiceId.GetValueOrDefault(current.VoiceId),
            Traits = Traits.HasValue ? Traits.Value ?? [] : current.Traits,
            Domains = Domains.HasValue ? Domains.Value ?? [] : current.Domains,
            Style = Style.HasValue ? Style.Value ?? JsonObjects.Empty : current.Style,
            IsPublic = IsPublic.GetValueOrDefault(current.IsPublic),
        };
    }
}

/// <summary>The rules of a persona's fields, for a new persona (every field present) and a partial update alike.</summary>
internal static class PersonaRules
{
    public static void Check(
        Optional<string?> name, Optional<string?> systemPrompt, Optional<string?> displayName, Optional<string?> avatarUrl, Optional<string?> voiceId,
        Optional<IReadOnlyList<string>?> traits, Optional<IReadOnlyList<string>?> domains, Optional<JsonElement?> style)
    {
        var errors = new ValidationErrors();
        errors.Required("name", name, PersonaLimits.NameMaxLength);
        errors.Required("systemPrompt", systemPrompt, PersonaLimits.SystemPromptMaxLength);
        errors.Optional("displayName", displayName, PersonaLimits.DisplayNameMaxLength);
        errors.HttpUrl("avatarUrl", avatarUrl, PersonaLimits.AvatarUrlMaxLength);
        errors.Optional("voiceId", voiceId, PersonaLimits.VoiceIdMaxLength);
        errors.ShortStrings("traits", traits, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        errors.ShortStrings("domains", domains, PersonaLimits.MaxListItems, PersonaLimits.ListItemMaxLength);
        errors.JsonObject("style", style, PersonaLimits.StyleMaxBytes);
        errors.ThrowIfAny();
    }
}
