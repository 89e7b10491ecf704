namespace Radiant.Personas;

/// <summary>Bounds of persona fields (the database columns' sizes), for validation and for clients' forms.</summary>
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
}
