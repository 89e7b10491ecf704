using Radiant.Errors;

namespace Radiant.Routing;

/// <summary>
/// What the router needs to know about one message sent without a model. Everything is plain data the caller already
/// has: the token count (see <see cref="ITokenCounter"/>), the attachments, the domain mode and its default, and the
/// user's preferences. The tenant's models, switches and prices come from the router's snapshots.
/// </summary>
/// <param name="TenantId">The tenant whose enabled models and prices apply.</param>
/// <param name="InputTokens">
/// The prompt's tokens (system prompt, history and the message; 0 or more), counted once and applied to every
/// candidate: count with <see cref="ITokenCounter"/> for the mode's default model, or without a model for the
/// documented estimate.
/// </param>
public sealed record RoutingRequest(Guid TenantId, int InputTokens)
{
    /// <summary>The domain mode (<c>general</c>, <c>code</c>, ...), or null. See <see cref="RoutingRules.CapabilitiesForMode"/>.</summary>
    public string? DomainMode { get; init; }

    /// <summary>What the message carries besides text: images need vision, audio needs audio.</summary>
    public RoutingAttachments Attachments { get; init; }

    /// <summary>Capabilities every rule must respect, on top of the attachments' (for example a host's own mode rules).</summary>
    public RoutingCapabilities RequiredCapabilities { get; init; }

    /// <summary>
    /// The longest reply the caller allows, in tokens (1 or more), or null for the router's default
    /// (<see cref="ModelRoutingOptions.DefaultReplyTokens"/>). Capped by each model's maximum output.
    /// </summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>The user's own model for this domain mode, or null / <see cref="RoutingRules.Auto"/> for none. Rule 1.</summary>
    public string? UserModeOverrideModelId { get; init; }

    /// <summary>The domain mode's default model (the tenant admins' setting), or null / <see cref="RoutingRules.Auto"/>. Rule 2.</summary>
    public string? ModeDefaultModelId { get; init; }

    /// <summary>The user's maximum cost per message in dollars (0 or more), or null for no limit.</summary>
    public decimal? MaxCostPerMessage { get; init; }

    /// <summary>The user prefers cost optimisation: the automatic rule takes the cheapest fitting model instead of the best.</summary>
    public bool PreferCostOptimization { get; init; }

    /// <summary>The capabilities every rule requires: the attachments' plus <see cref="RequiredCapabilities"/>.</summary>
    public RoutingCapabilities HardCapabilities => RequiredCapabilities | RoutingRules.CapabilitiesFor(Attachments);

    /// <summary>The capabilities the automatic rule requires: <see cref="HardCapabilities"/> plus the domain mode's.</summary>
    public RoutingCapabilities AutomaticCapabilities => HardCapabilities | RoutingRules.CapabilitiesForMode(DomainMode);

    /// <summary>Throws <see cref="RadiantValidationException"/> naming every out-of-range field.</summary>
    public void Validate()
    {
        if (InputTokens >= 0
            && MaxOutputTokens is null or >= 1
            && MaxCostPerMessage is null or >= 0
            && (Attachments & ~RoutingRules.AllAttachments) == 0
            && (RequiredCapabilities & ~RoutingRules.AllCapabilities) == 0)
        {
            return;
        }

        var errors = new ValidationErrors();
        if (InputTokens < 0)
        {
            errors.Add("inputTokens", "'inputTokens' must be 0 or more.");
        }

        if (MaxOutputTokens is < 1)
        {
            errors.Add("maxOutputTokens", "'maxOutputTokens' must be 1 or more.");
        }

        if (MaxCostPerMessage is < 0)
        {
            errors.Add("maxCostPerMessage", "'maxCostPerMessage' must be 0 or more dollars.");
        }

        if ((Attachments & ~RoutingRules.AllAttachments) != 0)
        {
            errors.Add("attachments", "'attachments' has an unknown kind.");
        }

        if ((RequiredCapabilities & ~RoutingRules.AllCapabilities) != 0)
        {
            errors.Add("requiredCapabilities", "'requiredCapabilities' has an unknown capability.");
        }

        errors.ThrowIfAny();
    }
}
