using System.Text.Json;
using Radiant.Errors;
using Radiant.FocusModes;

namespace Radiant.Personas;

/// <summary>Bounds and validation of persona inputs, shared by every provider.</summary>
public static class PersonaLimits
{
    /// <summary>Maximum name length.</summary>
    public const int NameMaxLength = 100;

    /// <summary>Maximum display-name length.</summary>
    public const int DisplayNameMaxLength = 200;

    /// <summary>Maximum system-prompt length.</summary>
    public const int SystemPromptMaxLength = 20_000;

    /// <summary>Maximum avatar URL length.</summary>
    public const int AvatarUrlMaxLength = 500;

    /// <summary>Maximum voice id length.</summary>
    public const int VoiceIdMaxLength = 100;

    /// <summary>Maximum number of traits, and of domains.</summary>
    public const int MaxListItems = 20;

    /// <summary>Maximum length of one trait or domain.</summary>
    public const int ListItemMaxLength = 50;

    /// <summary>Maximum size of the style object, in UTF-8 bytes.</summary>
    public const int StyleMaxBytes = 8 * 1024;

    /// <summary>Validates a new persona, throwing <see cref="RadiantValidationException"/> with every field error.</summary>
    public static void Validate(PersonaCreate input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new ValidationErrors();
        errors.Required("name", input.Name, NameMaxLength);
        errors.Required("systemPrompt", input.SystemPrompt, SystemPromptMaxLength);
        errors.Optional("displayName", input.DisplayName, DisplayNameMaxLength);
        errors.HttpUrl("avatarUrl", input.AvatarUrl, AvatarUrlMaxLength);
        errors.Optional("voiceId", input.VoiceId, VoiceIdMaxLength);
        errors.ShortStrings("traits", input.Traits, MaxListItems, ListItemMaxLength);
        errors.ShortStrings("domains", input.Domains, MaxListItems, ListItemMaxLength);
        ValidateStyle(errors, input.Style);
        errors.ThrowIfAny();
    }

    /// <summary>Validates a partial update, throwing <see cref="RadiantValidationException"/> with every field error.</summary>
    public static void Validate(PersonaUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var errors = new ValidationErrors();
        if (update.Name.HasValue)
        {
            errors.Required("name", update.Name.Value, NameMaxLength);
        }

        if (update.SystemPrompt.HasValue)
        {
            errors.Required("systemPrompt", update.SystemPrompt.Value, SystemPromptMaxLength);
        }

        if (update.DisplayName.HasValue)
        {
            errors.Optional("displayName", update.DisplayName.Value, DisplayNameMaxLength);
        }

        if (update.AvatarUrl.HasValue)
        {
            errors.HttpUrl("avatarUrl", update.AvatarUrl.Value, AvatarUrlMaxLength);
        }

        if (update.VoiceId.HasValue)
        {
            errors.Optional("voiceId", update.VoiceId.Value, VoiceIdMaxLength);
        }

        if (update.Traits.HasValue)
        {
            errors.ShortStrings("traits", update.Traits.Value, MaxListItems, ListItemMaxLength);
        }

        if (update.Domains.HasValue)
        {
            errors.ShortStrings("domains", update.Domains.Value, MaxListItems, ListItemMaxLength);
        }

        if (update.Style.HasValue)
        {
            ValidateStyle(errors, update.Style.Value);
        }

        if (update.IsPublic.HasValue && update.IsPublic.Value is null)
        {
            errors.Add("isPublic", "'isPublic' cannot be null.");
        }

        errors.ThrowIfAny();
    }

    /// <summary>Validates a usage record.</summary>
    public static void Validate(PersonaUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (usage.TokensUsed is < 0)
        {
            throw new RadiantValidationException("tokensUsed", "'tokensUsed' must be 0 or more.");
        }
    }

    private static void ValidateStyle(ValidationErrors errors, JsonElement? style) =>
        FocusModeLimits.ValidateSettings(errors, style, "style", StyleMaxBytes);
}
