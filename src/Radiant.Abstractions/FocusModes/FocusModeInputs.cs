using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.FocusModes;

/// <summary>A new tenant focus mode.</summary>
/// <param name="Name">Machine name: lowercase letters, digits, '-' and '_', 1–100 characters; must not reuse a system mode's name.</param>
/// <param name="DisplayName">Name shown to users, 1–200 characters.</param>
/// <param name="SystemPrompt">The mode's prompt, 1–20,000 characters.</param>
/// <param name="Description">Optional, at most 2,000 characters.</param>
/// <param name="Icon">Optional, at most 50 characters.</param>
/// <param name="DefaultModel">Optional model id, at most 100 characters.</param>
/// <param name="Settings">Optional JSON object of at most 16 KiB.</param>
public sealed record FocusModeCreate(
    string Name,
    string DisplayName,
    string SystemPrompt,
    string? Description = null,
    string? Icon = null,
    string? DefaultModel = null,
    JsonElement? Settings = null)
{
    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate() => FocusModeRules.Check(Name, DisplayName, SystemPrompt, Description, Icon, DefaultModel, Settings);
}

/// <summary>
/// A partial update of a tenant focus mode: an absent field keeps its value; a present null clears an optional
/// field. Required fields (<see cref="Name"/>, <see cref="DisplayName"/>, <see cref="SystemPrompt"/>,
/// <see cref="IsActive"/>) cannot be cleared.
/// </summary>
public sealed record FocusModeUpdate
{
    /// <summary>New machine name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Name { get; init; }

    /// <summary>New display name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> DisplayName { get; init; }

    /// <summary>New prompt.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> SystemPrompt { get; init; }

    /// <summary>New description; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Description { get; init; }

    /// <summary>New icon; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> Icon { get; init; }

    /// <summary>New default model; null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> DefaultModel { get; init; }

    /// <summary>New settings object; null resets it to an empty object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<JsonElement?> Settings { get; init; }

    /// <summary>Activates or deactivates the mode.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> IsActive { get; init; }

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate() => FocusModeRules.Check(Name, DisplayName, SystemPrompt, Description, Icon, DefaultModel, Settings);

    /// <summary>The mode with this update applied: present fields replace, a null clears (the settings become <c>{}</c>).</summary>
    public FocusMode ApplyTo(FocusMode current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            Name = Name.GetValueOrDefault(current.Name)!,
            DisplayName = DisplayName.GetValueOrDefault(current.DisplayName)!,
            SystemPrompt = SystemPrompt.GetValueOrDefault(current.SystemPrompt)!,
            Description = Description.GetValueOrDefault(current.Description),
            Icon = Icon.GetValueOrDefault(current.Icon),
            DefaultModel = DefaultModel.GetValueOrDefault(current.DefaultModel),
            Settings = Settings.HasValue ? Settings.Value ?? JsonObjects.Empty : current.Settings,
            IsActive = IsActive.GetValueOrDefault(current.IsActive),
        };
    }
}

/// <summary>The rules of a focus mode's fields, for a new mode (every field present) and a partial update alike.</summary>
internal static partial class FocusModeRules
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static void Check(
        Optional<string?> name, Optional<string?> displayName, Optional<string?> systemPrompt, Optional<string?> description,
        Optional<string?> icon, Optional<string?> defaultModel, Optional<JsonElement?> settings)
    {
        var errors = new ValidationErrors();
        errors.Required("name", name, FocusModeLimits.NameMaxLength);
        if (name.HasValue && name.Value is { } text && !string.IsNullOrWhiteSpace(text) && text.Length <= FocusModeLimits.NameMaxLength && !NamePattern().IsMatch(text))
        {
            errors.Add("name", "'name' may contain only lowercase letters, digits, '-' and '_', and must start with a letter or digit.");
        }

        errors.Required("displayName", displayName, FocusModeLimits.DisplayNameMaxLength);
        errors.Required("systemPrompt", systemPrompt, FocusModeLimits.SystemPromptMaxLength);
        errors.Optional("description", description, FocusModeLimits.DescriptionMaxLength);
        errors.Optional("icon", icon, FocusModeLimits.IconMaxLength);
        errors.Optional("defaultModel", defaultModel, FocusModeLimits.DefaultModelMaxLength);
        errors.JsonObject("settings", settings, FocusModeLimits.SettingsMaxBytes);
        errors.ThrowIfAny();
    }
}
