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
    public void Validate()
    {
        var errors = new ValidationErrors();
        FocusModeRules.Name(errors, Name);
        errors.Required("displayName", DisplayName, FocusModeLimits.DisplayNameMaxLength);
        errors.Required("systemPrompt", SystemPrompt, FocusModeLimits.SystemPromptMaxLength);
        errors.Optional("description", Description, FocusModeLimits.DescriptionMaxLength);
        errors.Optional("icon", Icon, FocusModeLimits.IconMaxLength);
        errors.Optional("defaultModel", DefaultModel, FocusModeLimits.DefaultModelMaxLength);
        errors.JsonObject("settings", Settings, FocusModeLimits.SettingsMaxBytes);
        errors.ThrowIfAny();
    }
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
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Name.HasValue)
        {
            FocusModeRules.Name(errors, Name.Value);
        }

        if (DisplayName.HasValue)
        {
            errors.Required("displayName", DisplayName.Value, FocusModeLimits.DisplayNameMaxLength);
        }

        if (SystemPrompt.HasValue)
        {
            errors.Required("systemPrompt", SystemPrompt.Value, FocusModeLimits.SystemPromptMaxLength);
        }

        if (Description.HasValue)
        {
            errors.Optional("description", Description.Value, FocusModeLimits.DescriptionMaxLength);
        }

        if (Icon.HasValue)
        {
            errors.Optional("icon", Icon.Value, FocusModeLimits.IconMaxLength);
        }

        if (DefaultModel.HasValue)
        {
            errors.Optional("defaultModel", DefaultModel.Value, FocusModeLimits.DefaultModelMaxLength);
        }

        if (Settings.HasValue)
        {
            errors.JsonObject("settings", Settings.Value, FocusModeLimits.SettingsMaxBytes);
        }

        errors.ThrowIfAny();
    }
}

internal static partial class FocusModeRules
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static void Name(ValidationErrors errors, string? name)
    {
        errors.Required("name", name, FocusModeLimits.NameMaxLength);
        if (!string.IsNullOrWhiteSpace(name) && name.Length <= FocusModeLimits.NameMaxLength && !NamePattern().IsMatch(name))
        {
            errors.Add("name", "'name' may contain only lowercase letters, digits, '-' and '_', and must start with a letter or digit.");
        }
    }
}
