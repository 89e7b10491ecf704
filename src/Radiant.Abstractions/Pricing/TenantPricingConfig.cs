using Radiant.Errors;

namespace Radiant.Pricing;

/// <summary>
/// A tenant's pricing settings. Units: markups are fractions (0.40 = 40 %), money is dollars, the notify threshold
/// is a percentage (10 = 10 %).
/// </summary>
public sealed record TenantPricingConfig
{
    /// <summary>The defaults: external 0.40, self-hosted 0.75, minimum 0.001 per request, 24 h grace, auto-update daily, notify above 10 %.</summary>
    public static TenantPricingConfig Default { get; } = new();

    /// <summary>Markup on external providers' models, 0 to 9.9999 with at most 4 decimals. Default 0.40.</summary>
    public decimal ExternalDefaultMarkup { get; init; } = 0.40m;

    /// <summary>Markup on self-hosted models, 0 to 9.9999 with at most 4 decimals. Default 0.75.</summary>
    public decimal SelfHostedDefaultMarkup { get; init; } = 0.75m;

    /// <summary>The least a request is charged, in dollars (0 or more, at most 6 decimals). Default 0.001.</summary>
    public decimal MinimumChargePerRequest { get; init; } = 0.001m;

    /// <summary>Hours before a price increase takes effect (0 to 168). Reductions apply at once. Default 24.</summary>
    public int PriceIncreaseGracePeriodHours { get; init; } = 24;

    /// <summary>Follow provider base-price changes found by the registry sync. Default true.</summary>
    public bool AutoUpdateFromProviders { get; init; } = true;

    /// <summary>How often the host is expected to sync provider prices. Default daily.</summary>
    public PriceUpdateFrequency AutoUpdateFrequency { get; init; } = PriceUpdateFrequency.Daily;

    /// <summary>Raise a notification when a synced base price moves by more than <see cref="NotifyThresholdPercent"/>. Default true.</summary>
    public bool NotifyOnPriceChange { get; init; } = true;

    /// <summary>Percentage change (0 to 100, at most 2 decimals) above which a notification is raised. Default 10.</summary>
    public decimal NotifyThresholdPercent { get; init; } = 10m;

    /// <summary>The markup that applies to a model by default.</summary>
    public decimal DefaultMarkupFor(bool selfHosted) => selfHosted ? SelfHostedDefaultMarkup : ExternalDefaultMarkup;

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every out-of-range field.</summary>
    public void Validate()
    {
        var errors = new ValidationErrors();
        PricingRules.ValidateMarkup(errors, "externalDefaultMarkup", ExternalDefaultMarkup);
        PricingRules.ValidateMarkup(errors, "selfHostedDefaultMarkup", SelfHostedDefaultMarkup);
        if (MinimumChargePerRequest < 0 || MinimumChargePerRequest > 9999.999999m || MinimumChargePerRequest.Scale > 6)
        {
            errors.Add("minimumChargePerRequest", "'minimumChargePerRequest' must be between 0 and 9999.999999 dollars with at most 6 decimals.");
        }

        if (PriceIncreaseGracePeriodHours is < 0 or > 168)
        {
            errors.Add("priceIncreaseGracePeriodHours", "'priceIncreaseGracePeriodHours' must be between 0 and 168.");
        }

        if (!Enum.IsDefined(AutoUpdateFrequency))
        {
            errors.Add("autoUpdateFrequency", "'autoUpdateFrequency' must be hourly, daily or weekly.");
        }

        if (NotifyThresholdPercent < 0 || NotifyThresholdPercent > 100 || NotifyThresholdPercent.Scale > 2)
        {
            errors.Add("notifyThresholdPercent", "'notifyThresholdPercent' must be between 0 and 100 with at most 2 decimals.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>How often provider prices are synced.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PriceUpdateFrequency>))]
public enum PriceUpdateFrequency
{
    /// <summary>Every hour.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("hourly")]
    Hourly,

    /// <summary>Every day.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("daily")]
    Daily,

    /// <summary>Every week.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("weekly")]
    Weekly,
}
