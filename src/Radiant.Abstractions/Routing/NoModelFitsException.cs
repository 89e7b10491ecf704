using Radiant.Errors;

namespace Radiant.Routing;

/// <summary>
/// No model can take the message: the user's override and the mode's default (if any) could not be used, and no
/// model passes every check. <see cref="Exception.Message"/> names the check that left nothing (for example "the cost
/// limit $0.01 excludes all 5 models that fit the context"); <see cref="Exclusions"/> lists every model with its reason.
/// It is not mapped by the HTTP layer yet: a route that routes answers 422 with both.
/// </summary>
public sealed class NoModelFitsException : RadiantException
{
    internal NoModelFitsException(
        string message, RoutingExclusionReason? reason, IReadOnlyList<RoutingExclusion> exclusions, RoutingExclusion? skippedOverride, RoutingExclusion? skippedModeDefault)
        : base(message)
    {
        Reason = reason;
        Exclusions = exclusions;
        SkippedOverride = skippedOverride;
        SkippedModeDefault = skippedModeDefault;
    }

    /// <summary>The check that excluded the last candidates (the most specific reason), or null when the catalogue is empty.</summary>
    public RoutingExclusionReason? Reason { get; }

    /// <summary>Every model of the catalogue with why it was left out, best-ranked first.</summary>
    public IReadOnlyList<RoutingExclusion> Exclusions { get; }

    /// <summary>Why the user's per-mode override could not be used, when one was set.</summary>
    public RoutingExclusion? SkippedOverride { get; }

    /// <summary>Why the mode's default model could not be used, when one was set.</summary>
    public RoutingExclusion? SkippedModeDefault { get; }
}
