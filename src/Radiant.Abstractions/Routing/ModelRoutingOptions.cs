using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Radiant.Routing;

/// <summary>
/// Settings of the model router (<c>AddModelRouter</c>), bound from the <c>Routing</c> configuration sub-section, then
/// from code. Validated at start-up.
/// </summary>
public sealed class ModelRoutingOptions
{
    /// <summary>The configuration sub-section the options bind from.</summary>
    public const string SectionName = "Routing";

    /// <summary>
    /// The reply budget of a request that sets no <see cref="RoutingRequest.MaxOutputTokens"/>, capped by each model's
    /// own maximum (1 to 10,000,000 tokens). Default <see cref="RoutingRules.DefaultReplyTokens"/> (4,096).
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "ModelRoutingOptions.DefaultReplyTokens must be between 1 and 10000000.")]
    public int DefaultReplyTokens { get; set; } = RoutingRules.DefaultReplyTokens;

    /// <summary>The health rule's numbers.</summary>
    [ValidateObjectMembers]
    public ModelHealthOptions Health { get; set; } = new();
}

/// <summary>The attribute rules of <see cref="ModelRoutingOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class ModelRoutingOptionsValidator : IValidateOptions<ModelRoutingOptions>;

/// <summary>The attribute rules of <see cref="ModelHealthOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class ModelHealthOptionsValidator : IValidateOptions<ModelHealthOptions>;

/// <summary>The rules that join two settings.</summary>
internal sealed class ModelRoutingOptionsCrossValidator : IValidateOptions<ModelRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelRoutingOptions options) =>
        ModelRoutingOptionsChecks.Cross(options.Health) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
}

/// <summary>The same checks for code that builds the router or the health tracker without DI.</summary>
internal static class ModelRoutingOptionsChecks
{
    public static string? Cross(ModelHealthOptions? health) =>
        health is null
            ? "ModelRoutingOptions.Health is required."
            : health.MinimumCalls > health.WindowSize
                ? $"ModelHealthOptions.MinimumCalls ({health.MinimumCalls}) must not exceed WindowSize ({health.WindowSize}): a model could never be judged."
                : null;

    public static void ThrowIfInvalid(ModelRoutingOptions options)
    {
        Throw(new ModelRoutingOptionsValidator().Validate(null, options));
        Throw(new ModelRoutingOptionsCrossValidator().Validate(null, options));
    }

    public static void ThrowIfInvalid(ModelHealthOptions options)
    {
        Throw(new ModelHealthOptionsValidator().Validate(null, options));
        if (Cross(options) is { } failure)
        {
            throw new OptionsValidationException(nameof(ModelHealthOptions), typeof(ModelHealthOptions), [failure]);
        }
    }

    private static void Throw(ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(ModelRoutingOptions), typeof(ModelRoutingOptions), result.Failures);
        }
    }
}
