using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Radiant.Postgres.Scheduling;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Scheduling.Worker;

/// <summary>The worker's metrics (on the host's IMeterFactory) and one activity per run, as OpenTelemetry would see them.</summary>
public sealed class TelemetryTests(PostgresServer server)
{
    [Fact]
    public async Task A_completed_and_a_failed_run_are_counted_with_their_lag_and_duration_and_traced_one_activity_each()
    {
        await using var scenario = await SchedulerScenario.StartAsync(server, "telemetry");
        var peer = await scenario.StartPeerAsync("model");
        peer.Script = r => r.Prompt == "fail" ? new PeerReply.Fail(400, "Refused") : new PeerReply.Answer();
        var caller = await scenario.NewUserAsync();
        var worker = await scenario.StartWorkerAsync("w1", peer);

        // Only this worker's meter: the factory scopes it to the worker host's service provider.
        var factory = worker.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Trigger)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SchedulerTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((i, value, tags, _) => measurements.Enqueue((i.Name, value, Trigger(tags))));
        meters.SetMeasurementEventCallback<double>((i, value, tags, _) => measurements.Enqueue((i.Name, value, Trigger(tags))));
        meters.Start();

        var activities = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SchedulerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);

        var (ok, _) = await scenario.CreateDueOnceAsync(caller, "ok", "answer");
        var (bad, _) = await scenario.CreateDueOnceAsync(caller, "bad", "fail");
        var okRun = await scenario.FinishedRunAsync(ok.Id);
        var badRun = await scenario.FinishedRunAsync(bad.Id);
        Assert.Equal(("completed", "failed"), (okRun.Status, badRun.Status));

        double Sum(string name) => measurements.Where(m => m.Instrument == name).Sum(m => m.Value);
        await Poll.ForAsync(
            () => Task.FromResult(Sum("radiant.scheduler.runs.completed") + Sum("radiant.scheduler.runs.failed")),
            finished => finished >= 2,
            "completed + failed counted");

        Assert.Equal(2, Sum("radiant.scheduler.runs.started"));
        Assert.Equal(1, Sum("radiant.scheduler.runs.completed"));
        Assert.Equal(1, Sum("radiant.scheduler.runs.failed"));
        var lags = measurements.Where(m => m.Instrument == "radiant.scheduler.run.lag").ToList();
        Assert.Equal(2, lags.Count);
        Assert.All(lags, l => Assert.InRange(l.Value, 0, 5));
        Assert.Equal(2, measurements.Count(m => m.Instrument == "radiant.scheduler.run.duration"));
        Assert.All(measurements.Where(m => m.Instrument.StartsWith("radiant.scheduler.run", StringComparison.Ordinal)), m => Assert.Equal("schedule", m.Trigger));

        var ours = activities.Where(a => a.GetTagItem("radiant.schedule_id") is Guid id && (id == ok.Id || id == bad.Id)).ToList();
        Assert.Equal(2, ours.Count);
        Assert.All(ours, a => Assert.Equal("scheduled_prompt.run", a.OperationName));
        var okActivity = Assert.Single(ours, a => (Guid)a.GetTagItem("radiant.schedule_id")! == ok.Id);
        var badActivity = Assert.Single(ours, a => (Guid)a.GetTagItem("radiant.schedule_id")! == bad.Id);
        Assert.Equal(okRun.Id, okActivity.GetTagItem("radiant.run_id"));
        Assert.Equal(caller.TenantId, okActivity.GetTagItem("radiant.tenant_id"));
        Assert.Equal("completed", okActivity.GetTagItem("radiant.status"));
        Assert.Equal(ActivityStatusCode.Unset, okActivity.Status);
        Assert.Equal("failed", badActivity.GetTagItem("radiant.status"));
        Assert.Equal(ActivityStatusCode.Error, badActivity.Status);
    }

    private static string? Trigger(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "radiant.trigger")
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
