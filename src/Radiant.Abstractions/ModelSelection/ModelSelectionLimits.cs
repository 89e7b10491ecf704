namespace Radiant.ModelSelection;

/// <summary>Bounds of domain modes and model preferences (the database columns' sizes), for validation and for clients' forms.</summary>
public static class ModelSelectionLimits
{
    /// <summary>The longest model id (the registry's <c>models.id</c> column).</summary>
    public const int ModelIdMaxLength = 100;

    /// <summary>The lowest temperature of a domain mode.</summary>
    public const decimal MinTemperature = 0m;

    /// <summary>The highest temperature of a domain mode.</summary>
    public const decimal MaxTemperature = 2m;

    /// <summary>Decimals a temperature may have.</summary>
    public const int TemperatureDecimals = 2;

    /// <summary>The longest system prompt override of a domain mode.</summary>
    public const int SystemPromptOverrideMaxLength = 20_000;

    /// <summary>The most favourite models a user may have.</summary>
    public const int MaxFavoriteModels = 100;

    /// <summary>How many recently used models are kept per user, most recent first.</summary>
    public const int MaxRecentModels = 10;

    /// <summary>The highest maximum cost per message, in dollars.</summary>
    public const decimal MaxCostPerMessageLimit = 9999.999999m;

    /// <summary>Decimals a maximum cost per message may have (micro-dollars, like every charge).</summary>
    public const int CostDecimals = 6;
}
