using System.Text.Json;
using System.Text.RegularExpressions;
using Radiant.Errors;

namespace Radiant.FocusModes;

/// <summary>Bounds and validation of focus mode inputs, shared by every provider.</summary>
public static partial class FocusModeLimits
{
    /// <summary>Maximum machine-name length.</summary>
    public const int NameMaxLength = 100;

    /// <summary>Maximum display-name length.</summary>
    public const int DisplayNameMaxLength = 200;

    /// <summary>Maximum system-prompt length.</summary>
    public const int SystemPromptMaxLength = 20_000;

    /// <summary>Maximum description length.</summary>
    public const int DescriptionMaxLength = 2_000;

    /// <summary>Maximum icon-name length.</summary>
    public const int IconMaxLength = 50;

    /// <summary>Maximum model-id length.</summary>
    public const int DefaultModelMaxLength = 100;

    /// <summary>Maximum size of the settings object, in UTF-8 bytes.</summary>
    public const int SettingsMaxBytes = 16 * 1024;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Validates a new mode, throwing <see cref="RadiantValidationException"/> with every field error.</summary>
    public static void Validate(FocusModeCreate input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new ValidationErrors();
        ValidateName(errors, input.Name);
        errors.Required("displayName", input.DisplayName, DisplayNameMaxLength);
        errors.Required("systemPrompt", input.SystemPrompt, SystemPromptMaxLength);
        errors.Optional("description", input.Description, DescriptionMaxLength);
        errors.Optional("icon", input.Icon, IconMaxLength);
        errors.Optional("defaultModel", input.DefaultModel, DefaultModelMaxLength);
        ValidateSettings(errors, input.Settings);
        errors.ThrowIfAny();
    }

    /// <summary>Validates a partial update, throwing <see cref="RadiantValidationException"/> with every field error.</summary>
    public static void Validate(FocusModeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var errors = new ValidationErrors();
        if (update.Name.HasValue)
        {
            ValidateName(errors, update.Name.Value);
        }

        if (update.DisplayName.HasValue)
        {
            errors.Required("displayName", update.DisplayName.Value, DisplayNameMaxLength);
        }

        if (update.SystemPrompt.HasValue)
        {
            errors.Required("systemPrompt", update.SystemPrompt.Value, SystemPromptMaxLength);
        }

        if (update.Description.HasValue)
        {
            errors.Optional("description", update.Description.Value, DescriptionMaxLength);
        }

        if (update.Icon.HasValue)
        {
            errors.Optional("icon", update.Icon.Value, IconMaxLength);
        }

        if (update.DefaultModel.HasValue)
        {
            errors.Optional("defaultModel", update.DefaultModel.Value, DefaultModelMaxLength);
        }

        if (update.Settings.HasValue)
        {
            ValidateSettings(errors, update.Settings.Value);
        }

        if (update.IsActive.HasValue && update.IsActive.Value is null)
        {
            errors.Add("isActive", "'isActive' cannot be null.");
        }

        errors.ThrowIfAny();
    }

    private static void ValidateName(ValidationErrors errors, string? name)
    {
        errors.Required("name", name, NameMaxLength);
        if (!string.IsNullOrWhiteSpace(name) && name.Length <= NameMaxLength && !NamePattern().IsMatch(name))
        {
            errors.Add("name", "'name' may contain only lowercase letters, digits, '-' and '_', and must start with a letter or digit.");
        }
    }

    internal static void ValidateSettings(ValidationErrors errors, JsonElement? settings, string field = "settings", int maxBytes = SettingsMaxBytes)
    {
        if (settings is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(field, $"'{field}' must be a JSON object.");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(value.GetRawText()) > maxBytes)
        {
            errors.Add(field, $"'{field}' must be at most {maxBytes} bytes of JSON.");
        }
    }
}
