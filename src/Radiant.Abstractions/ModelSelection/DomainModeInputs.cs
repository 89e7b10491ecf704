using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Errors;

namespace Radiant.ModelSelection;

/// <summary>
/// A partial update of a tenant's domain modes: the modes named in <see cref="Modes"/> change, the others keep their
/// configuration. Within a mode, absent fields keep their value too.
/// </summary>
/// <param name="Modes">The modes to change, each with its partial update.</param>
public sealed record DomainModesUpdate(IReadOnlyDictionary<DomainMode, DomainModeUpdate> Modes)
{
    /// <summary>
    /// Throws <see cref="RadiantValidationException"/> naming every bad field (<c>modes.medical.temperature</c>);
    /// nothing is stored. Whether a default model exists and is enabled is checked by the service.
    /// </summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        if (Modes is null)
        {
            errors.Add("modes", "'modes' is required.");
        }
        else
        {
            foreach (var (mode, update) in Modes)
            {
                var prefix = $"modes.{JsonNames.Of(mode)}";
                if (!Enum.IsDefined(mode))
                {
                    errors.Add(prefix, $"'{prefix}' is not a domain mode.");
                }
                else if (update is null)
                {
                    errors.Add(prefix, $"'{prefix}' must be an object of the fields to change.");
                }
                else
                {
                    update.Check(errors, prefix + ".");
                }
            }
        }

        errors.ThrowIfAny();
    }
}

/// <summary>
/// A partial update of one domain mode: an absent field keeps its value; a present null clears
/// <see cref="SystemPromptOverride"/>. <see cref="DefaultModel"/> cannot be cleared: set it to
/// <see cref="DomainModeConfig.Auto"/> to let the router choose.
/// </summary>
public sealed record DomainModeUpdate
{
    /// <summary>Enable or disable the mode.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> Enabled { get; init; }

    /// <summary>New default model: a registry model enabled for the tenant, or <see cref="DomainModeConfig.Auto"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> DefaultModel { get; init; }

    /// <summary>New temperature, 0 to 2 with at most 2 decimals.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal> Temperature { get; init; }

    /// <summary>New system prompt override; null removes it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<string?> SystemPromptOverride { get; init; }

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every bad field; nothing is stored.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        Check(errors, string.Empty);
        errors.ThrowIfAny();
    }

    /// <summary>The mode with this update applied: present fields replace, a null override clears it.</summary>
    public DomainModeConfig ApplyTo(DomainModeConfig current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current with
        {
            Enabled = Enabled.GetValueOrDefault(current.Enabled),
            DefaultModel = DefaultModel.GetValueOrDefault(current.DefaultModel)!,
            Temperature = Temperature.GetValueOrDefault(current.Temperature),
            SystemPromptOverride = SystemPromptOverride.GetValueOrDefault(current.SystemPromptOverride),
        };
    }

    internal void Check(ValidationErrors errors, string prefix)
    {
        errors.NotNull(prefix + "defaultModel", DefaultModel);
        if (DefaultModel is { HasValue: true, Value: not null })
        {
            errors.Required(prefix + "defaultModel", DefaultModel.Value, ModelSelectionLimits.ModelIdMaxLength);
        }

        if (Temperature.HasValue)
        {
            var t = Temperature.Value;
            if (t < ModelSelectionLimits.MinTemperature || t > ModelSelectionLimits.MaxTemperature
                || t != Math.Round(t, ModelSelectionLimits.TemperatureDecimals))
            {
                errors.Add(prefix + "temperature", $"'{prefix}temperature' must be between 0 and 2 with at most 2 decimals.");
            }
        }

        errors.Optional(prefix + "systemPromptOverride", SystemPromptOverride, ModelSelectionLimits.SystemPromptOverrideMaxLength);
    }
}
