using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Radiant.Routing;

/// <summary>
/// Each model's recent health, in memory on this host instance: the chat pipeline records every provider call's
/// outcome, and the router skips a model that fails most of its recent calls until it recovers. Thread-safe;
/// recording and checking never block each other for long (one short lock per model, no lock at all to check while
/// every model is healthy).
/// </summary>
/// <remarks>
/// The rule (<see cref="ModelHealthOptions"/> holds the numbers): a model becomes <see cref="ModelHealthState.Unhealthy"/>
/// when, among its last <see cref="ModelHealthOptions.WindowSize"/> outcomes no older than
/// <see cref="ModelHealthOptions.SamplingPeriod"/>, there are at least <see cref="ModelHealthOptions.MinimumCalls"/> and
/// more than <see cref="ModelHealthOptions.FailureRatio"/> of them failed (errors and timeouts). It is then skipped for
/// <see cref="ModelHealthOptions.BreakDuration"/>; after that it is <see cref="ModelHealthState.Recovering"/>: routed to
/// again, and the first outcome recorded decides — a success makes it healthy with a clean window, a failure skips it
/// for another break. Outcomes of calls that were in flight while it was skipped change nothing.
/// </remarks>
public interface IModelHealth
{
    /// <summary>Records the outcome of one call to a model. Do not record calls the caller cancelled.</summary>
    void Record(string modelId, ModelCallOutcome outcome, TimeSpan latency);

    /// <summary>The model's health now (a model never recorded is healthy with no calls).</summary>
    ModelHealthReport GetReport(string modelId);

    /// <summary>True when the router must skip the model now, with its report; false (and a default report) otherwise.</summary>
    bool IsSkipped(string modelId, out ModelHealthReport report);
}

/// <summary>How one call to a model ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelCallOutcome>))]
public enum ModelCallOutcome
{
    /// <summary>The model answered.</summary>
    [JsonStringEnumMemberName("success")]
    Success,

    /// <summary>The provider failed (an error status, a refused connection, a malformed answer).</summary>
    [JsonStringEnumMemberName("failure")]
    Failure,

    /// <summary>The call timed out.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,
}

/// <summary>Where a model stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelHealthState>))]
public enum ModelHealthState
{
    /// <summary>Routed to normally.</summary>
    [JsonStringEnumMemberName("healthy")]
    Healthy,

    /// <summary>Failing most recent calls: skipped until <see cref="ModelHealthReport.UnhealthyUntil"/>.</summary>
    [JsonStringEnumMemberName("unhealthy")]
    Unhealthy,

    /// <summary>Its break is over: routed to again, and the next outcome decides.</summary>
    [JsonStringEnumMemberName("recovering")]
    Recovering,
}

/// <summary>A model's recent health.</summary>
/// <param name="State">Where it stands.</param>
/// <param name="RecentCalls">Outcomes in the window (the last <see cref="ModelHealthOptions.WindowSize"/>, none older than the sampling period).</param>
/// <param name="RecentFailures">How many of them failed (errors and timeouts).</param>
/// <param name="RecentTimeouts">How many of those failures were timeouts.</param>
/// <param name="AverageLatency">The mean latency of the calls in the window (zero without calls).</param>
/// <param name="UnhealthyUntil">When a skipped model may be tried again; null while healthy.</param>
public readonly record struct ModelHealthReport(
    ModelHealthState State, int RecentCalls, int RecentFailures, int RecentTimeouts, TimeSpan AverageLatency, DateTimeOffset? UnhealthyUntil)
{
    /// <summary>Failures over calls in the window (0 without calls).</summary>
    public double FailureRatio => RecentCalls == 0 ? 0 : (double)RecentFailures / RecentCalls;
}

/// <summary>The numbers of the health rule (see <see cref="IModelHealth"/>). The defaults suit a chat service.</summary>
public sealed class ModelHealthOptions
{
    /// <summary>How many recent outcomes per model are kept (1 to 1,000). Default 20.</summary>
    [Range(1, 1000, ErrorMessage = "ModelHealthOptions.WindowSize must be between 1 and 1000.")]
    public int WindowSize { get; set; } = 20;

    /// <summary>The fewest outcomes in the window before a model can be judged unhealthy (1 to <see cref="WindowSize"/>). Default 5.</summary>
    [Range(1, 1000, ErrorMessage = "ModelHealthOptions.MinimumCalls must be between 1 and 1000.")]
    public int MinimumCalls { get; set; } = 5;

    /// <summary>A model is unhealthy when more than this fraction of its recent outcomes failed (0 to 0.99). Default 0.5: most of them.</summary>
    [Range(0.0, 0.99, ErrorMessage = "ModelHealthOptions.FailureRatio must be between 0 and 0.99.")]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Outcomes older than this are forgotten (1 second to 1 day). Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "ModelHealthOptions.SamplingPeriod must be between 1 second and 1 day.")]
    public TimeSpan SamplingPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an unhealthy model is skipped before it is tried again (1 second to 1 hour). Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "ModelHealthOptions.BreakDuration must be between 1 second and 1 hour.")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
