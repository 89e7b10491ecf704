using System.Text.Json.Serialization;
using Radiant.Common;
using Radiant.Tenancy;

namespace Radiant.Pricing;

/// <summary>
/// A tenant admin's pricing controls. Every operation is confined to the caller's tenant and refused
/// (<see cref="Errors.RadiantForbiddenException"/>) to callers who are not its admins; every change writes
/// <see cref="PriceHistoryEntry"/> rows naming the caller, and reaches every host's <see cref="IPricingEngine"/>.
/// </summary>
public interface IPricingAdminService
{
    /// <summary>The tenant's configuration (the defaults until an admin changes something).</summary>
    Task<TenantPricingConfig> GetConfigAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>Partially updates the configuration; absent fields keep their value. Markup changes apply at once.</summary>
    Task<TenantPricingConfig> UpdateConfigAsync(RadiantCaller caller, PricingConfigUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Every model's effective price for the tenant now (the admin's "Individual Models" table).</summary>
    Task<IReadOnlyList<ModelPricing>> ListModelPricesAsync(RadiantCaller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the override of one model, replacing the current one. A change that raises the user's price takes effect
    /// after the tenant's grace period (the current price holds until then); a reduction applies at once.
    /// </summary>
    Task<ModelPricing> SetOverrideAsync(RadiantCaller caller, string modelId, PriceOverrideInput input, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the override of one model, returning it to the defaults (after the grace period when that raises the
    /// user's price). <see cref="Errors.RadiantNotFoundException"/> when there is none.
    /// </summary>
    Task<ModelPricing> RemoveOverrideAsync(RadiantCaller caller, string modelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the default markup of all external or all self-hosted models in one transaction, writing one history row per
    /// model whose effective markup changes (models with a markup override keep it).
    /// </summary>
    Task<BulkMarkupResult> BulkUpdateMarkupAsync(RadiantCaller caller, BulkMarkupUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Price history, newest first, optionally for one model.</summary>
    Task<Page<PriceHistoryEntry>> ListHistoryAsync(RadiantCaller caller, string? modelId = null, PageRequest? page = null, CancellationToken cancellationToken = default);
}

/// <summary>A partial update of <see cref="TenantPricingConfig"/>: absent fields keep their value; none can be cleared.</summary>
public sealed record PricingConfigUpdate
{
    /// <summary>New external default markup (fraction).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal> ExternalDefaultMarkup { get; init; }

    /// <summary>New self-hosted default markup (fraction).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal> SelfHostedDefaultMarkup { get; init; }

    /// <summary>New minimum charge per request (dollars).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal> MinimumChargePerRequest { get; init; }

    /// <summary>New grace period for price increases (hours).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<int> PriceIncreaseGracePeriodHours { get; init; }

    /// <summary>Follow provider price changes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> AutoUpdateFromProviders { get; init; }

    /// <summary>Sync frequency.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<PriceUpdateFrequency> AutoUpdateFrequency { get; init; }

    /// <summary>Notify on provider price changes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<bool> NotifyOnPriceChange { get; init; }

    /// <summary>Notify threshold in percent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Optional<decimal> NotifyThresholdPercent { get; init; }

    /// <summary>Applies this update to a configuration.</summary>
    public TenantPricingConfig ApplyTo(TenantPricingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config with
        {
            ExternalDefaultMarkup = ExternalDefaultMarkup.GetValueOrDefault(config.ExternalDefaultMarkup),
            SelfHostedDefaultMarkup = SelfHostedDefaultMarkup.GetValueOrDefault(config.SelfHostedDefaultMarkup),
            MinimumChargePerRequest = MinimumChargePerRequest.GetValueOrDefault(config.MinimumChargePerRequest),
            PriceIncreaseGracePeriodHours = PriceIncreaseGracePeriodHours.GetValueOrDefault(config.PriceIncreaseGracePeriodHours),
            AutoUpdateFromProviders = AutoUpdateFromProviders.GetValueOrDefault(config.AutoUpdateFromProviders),
            AutoUpdateFrequency = AutoUpdateFrequency.GetValueOrDefault(config.AutoUpdateFrequency),
            NotifyOnPriceChange = NotifyOnPriceChange.GetValueOrDefault(config.NotifyOnPriceChange),
            NotifyThresholdPercent = NotifyThresholdPercent.GetValueOrDefault(config.NotifyThresholdPercent),
        };
    }

    /// <summary>Throws <see cref="Errors.RadiantValidationException"/> naming every bad field (judged on the defaults for absent ones).</summary>
    public void Validate() => ApplyTo(TenantPricingConfig.Default).Validate();
}

/// <summary>An override of one model's price. At least one of the three values is required.</summary>
/// <param name="Markup">Markup fraction (0 to 9.9999), or null for the tenant's default.</param>
/// <param name="InputPricePer1M">Base input price per 1M tokens, or null for the provider's.</param>
/// <param name="OutputPricePer1M">Base output price per 1M tokens, or null for the provider's.</param>
/// <param name="EffectiveFrom">When it should start (now when null; never earlier than the grace period allows for a rise).</param>
/// <param name="EffectiveTo">When it should end, or null.</param>
public sealed record PriceOverrideInput(
    decimal? Markup = null,
    decimal? InputPricePer1M = null,
    decimal? OutputPricePer1M = null,
    DateTimeOffset? EffectiveFrom = null,
    DateTimeOffset? EffectiveTo = null)
{
    /// <summary>Throws <see cref="Errors.RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new Errors.ValidationErrors();
        if (Markup is null && InputPricePer1M is null && OutputPricePer1M is null)
        {
            errors.Add("markup", "Give at least one of 'markup', 'inputPricePer1M' or 'outputPricePer1M'.");
        }

        if (Markup is { } markup)
        {
            PricingRules.ValidateMarkup(errors, "markup", markup);
        }

        if (InputPricePer1M is { } input)
        {
            PricingRules.ValidatePrice(errors, "inputPricePer1M", input);
        }

        if (OutputPricePer1M is { } output)
        {
            PricingRules.ValidatePrice(errors, "outputPricePer1M", output);
        }

        if (EffectiveFrom is { } from && EffectiveTo is { } to && to <= from)
        {
            errors.Add("effectiveTo", "'effectiveTo' must be after 'effectiveFrom'.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>Which models a bulk markup update targets.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ModelHosting>))]
public enum ModelHosting
{
    /// <summary>Models of external providers.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("external")]
    External,

    /// <summary>Self-hosted models.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("self_hosted")]
    SelfHosted,
}

/// <summary>A bulk markup update.</summary>
/// <param name="Type">External or self-hosted models.</param>
/// <param name="Markup">The new default markup, a fraction (0.40 = 40 %).</param>
public sealed record BulkMarkupUpdate(ModelHosting Type, decimal Markup)
{
    /// <summary>Throws <see cref="Errors.RadiantValidationException"/> naming every bad field.</summary>
    public void Validate()
    {
        var errors = new Errors.ValidationErrors();
        PricingRules.ValidateMarkup(errors, "markup", Markup);
        if (!Enum.IsDefined(Type))
        {
            errors.Add("type", "'type' must be 'external' or 'self_hosted'.");
        }

        errors.ThrowIfAny();
    }
}

/// <summary>The result of a bulk markup update.</summary>
/// <param name="Type">The models targeted.</param>
/// <param name="Markup">The new default markup.</param>
/// <param name="AffectedModels">Models whose effective markup changed (one history row each).</param>
public sealed record BulkMarkupResult(ModelHosting Type, decimal Markup, int AffectedModels);

/// <summary>One model's price for a tenant now: a row of the admin's "Individual Models" table.</summary>
/// <param name="ModelId">The model.</param>
/// <param name="DisplayName">Its display name.</param>
/// <param name="ProviderId">Its provider.</param>
/// <param name="IsNovel">Novel model.</param>
/// <param name="Category">Category.</param>
/// <param name="BaseInputPricePer1M">Effective base input price.</param>
/// <param name="BaseOutputPricePer1M">Effective base output price.</param>
/// <param name="EffectiveMarkup">Effective markup fraction.</param>
/// <param name="UserInputPricePer1M">User input price (6 decimals).</param>
/// <param name="UserOutputPricePer1M">User output price (6 decimals).</param>
/// <param name="HasOverride">An override applies now.</param>
/// <param name="Override">The current override, if any.</param>
/// <param name="PendingOverride">An override that starts later (a price rise waiting for its grace period), if any.</param>
public sealed record ModelPricing(
    string ModelId,
    string DisplayName,
    string ProviderId,
    bool IsNovel,
    string Category,
    decimal BaseInputPricePer1M,
    decimal BaseOutputPricePer1M,
    decimal EffectiveMarkup,
    decimal UserInputPricePer1M,
    decimal UserOutputPricePer1M,
    bool HasOverride,
    ModelPriceOverride? Override,
    ModelPriceOverride? PendingOverride);

/// <summary>Where a price change came from.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PriceChangeSource>))]
public enum PriceChangeSource
{
    /// <summary>An admin set or removed an override.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("admin")]
    Admin,

    /// <summary>A bulk markup update.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("bulk_update")]
    BulkUpdate,

    /// <summary>The registry sync found a new provider price.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("auto_sync")]
    AutoSync,
}

/// <summary>One recorded price change: effective base prices and markup before and after.</summary>
/// <param name="Id">The entry.</param>
/// <param name="ModelId">The model.</param>
/// <param name="PreviousInputPricePer1M">Base input price before.</param>
/// <param name="PreviousOutputPricePer1M">Base output price before.</param>
/// <param name="PreviousMarkup">Markup before.</param>
/// <param name="NewInputPricePer1M">Base input price after.</param>
/// <param name="NewOutputPricePer1M">Base output price after.</param>
/// <param name="NewMarkup">Markup after.</param>
/// <param name="Source">Where the change came from.</param>
/// <param name="ChangedBy">The admin, when known.</param>
/// <param name="EffectiveFrom">When the new price applies.</param>
/// <param name="CreatedAt">When the change was made.</param>
public sealed record PriceHistoryEntry(
    Guid Id,
    string ModelId,
    decimal? PreviousInputPricePer1M,
    decimal? PreviousOutputPricePer1M,
    decimal? PreviousMarkup,
    decimal? NewInputPricePer1M,
    decimal? NewOutputPricePer1M,
    decimal? NewMarkup,
    PriceChangeSource Source,
    Guid? ChangedBy,
    DateTimeOffset EffectiveFrom,
    DateTimeOffset CreatedAt);
