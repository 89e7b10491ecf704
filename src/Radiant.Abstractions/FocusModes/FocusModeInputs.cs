using System.Text.Json;
using System.Text.Json.Serialization;
using Radiant.Common;

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
    JsonElement? Settings = null);

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
    public Optional<bool?> IsActive { get; init; }
}
