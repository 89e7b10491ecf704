using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Radiant.Postgres.Scheduling;

/// <summary>
/// Names of the scheduler's <see cref="Meter"/> and <see cref="ActivitySource"/>, for OpenTelemetry:
/// <c>.WithMetrics(m =&gt; m.AddMeter(SchedulerTelemetry.Name))</c> and <c>.WithTracing(t =&gt; t.AddSource(SchedulerTelemetry.Name))</c>.
/// </summary>
/// <remarks>
/// Instruments: <c>radiant.scheduler.runs.started</c>, <c>radiant.scheduler.runs.completed</c>,
/// <c>radiant.scheduler.runs.failed</c> (counters, tagged with <c>radiant.trigger</c>),
/// <c>radiant.scheduler.run.lag</c> (histogram, seconds from due to start), <c>radiant.scheduler.run.duration</c>
/// (histogram, seconds from start to recorded outcome) and <c>radiant.scheduler.deliveries</c> (counter, tagged with
/// <c>radiant.destination</c> and <c>radiant.outcome</c>). The meter comes from the host's <see cref="IMeterFactory"/>,
/// so each service provider has its own. Each run is an activity named <c>scheduled_prompt.run</c>.
/// </remarks>
public static class SchedulerTelemetry
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Radiant.Scheduling";

    internal static readonly ActivitySource Source = new(Name);
}

/// <summary>The scheduler's instruments, on a meter from the host's <see cref="IMeterFactory"/>.</summary>
internal sealed class SchedulerMetrics
{
    public SchedulerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(SchedulerTelemetry.Name);
        RunsStarted = meter.CreateCounter<long>("radiant.scheduler.runs.started", "{run}", "Runs a worker started executing.");
        RunsCompleted = meter.CreateCounter<long>("radiant.scheduler.runs.completed", "{run}", "Runs recorded as completed.");
        RunsFailed = meter.CreateCounter<long>("radiant.scheduler.runs.failed", "{run}", "Runs recorded as failed.");
        Lag = meter.CreateHistogram<double>("radiant.scheduler.run.lag", "s", "Time from a run's due instant to its start.");
        Duration = meter.CreateHistogram<double>("radiant.scheduler.run.duration", "s", "Time from a run's start to its recorded outcome.");
        Deliveries = meter.CreateCounter<long>("radiant.scheduler.deliveries", "{delivery}", "Webhook and email deliveries by outcome.");
    }

    public Counter<long> RunsStarted { get; }

    public Counter<long> RunsCompleted { get; }

    public Counter<long> RunsFailed { get; }

    public Histogram<double> Lag { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> Deliveries { get; }
}
