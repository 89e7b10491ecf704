namespace Radiant.FocusModes;

/// <summary>Bounds of focus mode fields (the database columns' sizes), for validation and for clients' forms.</summary>
public static class FocusModeLimits
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
}
