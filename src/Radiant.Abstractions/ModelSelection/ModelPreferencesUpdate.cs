using System.Collections.ObjectModel;
using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.ModelSelection;

/// <summary>
/// A partial update of a user's model preferences: an absent field keeps its value; a present null clears
/// <see cref="DefaultModelId"/> and <see cref="MaxCostPerMessage"/> (no limit), and empties
/// <see cref="FavoriteModels"/> and <see cref="DomainModeModelOverrides"/>. Lists and the overrides are replaced as a
/// whole. The other fields cannot be null. Recent models are recorded by use, not set.
/// </summary>
public sealed record ModelPreferencesUpdate
{
    /// <summary>New selection mode.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<ModelSelectionMode> SelectionMode { get; init; }

    /// <summary>New default model (one the user may pick); null clears it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> DefaultModelId { get; init; }

    /// <summary>New favourites (models the user may pick), replacing the current ones; null clears them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<IReadOnlyList<string>?> FavoriteModels { get; init; }

    /// <summary>List standard models.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> ShowStandardModels { get; init; }

    /// <summary>List novel models.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> ShowNovelModels { get; init; }

    /// <summary>List self-hosted models.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> ShowSelfHostedModels { get; init; }

    /// <summary>Show the cost of each message.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> ShowCostPerMessage { get; init; }

    /// <summary>New maximum cost per message in dollars (0 to 9999.999999, at most 6 decimals); null removes the limit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal?> MaxCostPerMessage { get; init; }

    /// <summary>Prefer cheaper models when the router chooses.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> PreferCostOptimization { get; init; }

    /// <summary>New per-domain-mode models (models the user may pick), replacing the current ones; null clears them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<IReadOnlyDictionary<DomainMode, string>?> DomainModeModelOverrides { get; init; }

    /// <summary>
    /// Throws <see cref="RadiantValidationException"/> naming every bad field (<c>favoriteModels[2]</c>,
    /// <c>domainModeModelOverrides.code</c>); nothing is stored. Whether each model exists and may be picked is checked
    /// by the service.
    /// </summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (SelectionMode.HasValue && !Enum.IsDefined(SelectionMode.Value))
        {
            errors.Add("selectionMode", "'selectionMode' must be auto, manual or favorites.");
        }

        errors.Optional("defaultModelId", DefaultModelId, ModelSelectionLimits.ModelIdMaxLength);
        if (FavoriteModels is { HasValue: true, Value: { } favorites })
        {
            errors.ShortStrings("favoriteModels", favorites, ModelSelectionLimits.MaxFavoriteModels, ModelSelectionLimits.ModelIdMaxLength);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < favorites.Count; i++)
            {
                if (favorites[i] is { } id && !seen.Add(id))
                {
                    errors.Add($"favoriteModels[{i}]", $"'favoriteModels[{i}]' repeats '{id}'; list each favourite once.");
                }
            }
        }

        if (MaxCostPerMessage is { HasValue: true, Value: { } cost }
            && (cost < 0 || cost > ModelSelectionLimits.MaxCostPerMessageLimit || cost != Math.Round(cost, ModelSelectionLimits.CostDecimals)))
        {
            errors.Add("maxCostPerMessage", $"'maxCostPerMessage' must be between 0 and {ModelSelectionLimits.MaxCostPerMessageLimit} dollars with at most 6 decimals, or null for no limit.");
        }

        if (DomainModeModelOverrides is { HasValue: true, Value: { } overrides })
        {
            foreach (var (mode, modelId) in overrides)
            {
                var field = $"domainModeModelOverrides.{JsonNames.Of(mode)}";
                if (!Enum.IsDefined(mode))
                {
                    errors.Add(field, $"'{field}' is not a domain mode.");
                }
                else
                {
                    errors.Required(field, modelId, ModelSelectionLimits.ModelIdMaxLength);
                }
            }
        }

        errors.ThrowIfAny();
    }

    /// <summary>The preferences with this update applied: present fields replace; a null clears (lists and overrides become empty).</summary>
    public ModelPreferences ApplyTo(ModelPreferences current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            SelectionMode = SelectionMode.GetValueOrDefault(current.SelectionMode),
            DefaultModelId = DefaultModelId.GetValueOrDefault(current.DefaultModelId),
            FavoriteModels = FavoriteModels.HasValue ? [.. FavoriteModels.Value ?? []] : current.FavoriteModels,
            ShowStandardModels = ShowStandardModels.GetValueOrDefault(current.ShowStandardModels),
            ShowNovelModels = ShowNovelModels.GetValueOrDefault(current.ShowNovelModels),
            ShowSelfHostedModels = ShowSelfHostedModels.GetValueOrDefault(current.ShowSelfHostedModels),
            ShowCostPerMessage = ShowCostPerMessage.GetValueOrDefault(current.ShowCostPerMessage),
            MaxCostPerMessage = MaxCostPerMessage.GetValueOrDefault(current.MaxCostPerMessage),
            PreferCostOptimization = PreferCostOptimization.GetValueOrDefault(current.PreferCostOptimization),
            DomainModeModelOverrides = DomainModeModelOverrides.HasValue
                ? InModeOrder(DomainModeModelOverrides.Value)
                : current.DomainModeModelOverrides,
        };
    }

    /// <summary>The overrides as a read-only map in <see cref="DomainMode"/> order, so they serialize the same way every time.</summary>
    internal static ReadOnlyDictionary<DomainMode, string> InModeOrder(IReadOnlyDictionary<DomainMode, string>? overrides) =>
        new((overrides ?? new Dictionary<DomainMode, string>()).OrderBy(o => o.Key).ToDictionary(o => o.Key, o => o.Value));
}
