using Microsoft.Extensions.Time.Testing;
using Radiant.Routing;

namespace Radiant.Tests.Routing;

/// <summary>The health tracker is fed by every chat at once: recording and checking in parallel must stay consistent.</summary>
public sealed class ModelHealthConcurrencyTests
{
    private static readonly string[] Models = ["m0", "m1", "m2", "m3"];

    [Fact]
    public async Task Parallel_failures_trip_each_model_once_and_parallel_successes_close_it_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var health = new ModelHealthTracker(new ModelHealthOptions(), time);
        var ct = TestContext.Current.CancellationToken;

        // 16 threads x 2,000 failures spread over the models, while other threads check them.
        // The checker signals once it runs, so the failures start only when it overlaps them (on a loaded machine the
        // thread pool may otherwise start it after they are all recorded).
        using var stop = new CancellationTokenSource();
        var checking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checker = Task.Run(() =>
        {
            var checks = 0;
            checking.SetResult();
            do
            {
                foreach (var model in Models)
                {
                    health.IsSkipped(model, out _);
                    health.GetReport(model);
                    checks++;
                }
            }
            while (!stop.IsCancellationRequested);

            return checks;
        }, ct);
        await checking.Task.WaitAsync(ct);
        await Parallel.ForAsync(0, 16, ct, (worker, _) =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                health.Record(Models[(worker + i) % Models.Length], ModelCallOutcome.Failure, TimeSpan.FromMilliseconds(i % 50));
            }

            return ValueTask.CompletedTask;
        });
        await stop.CancelAsync();
        Assert.True(await checker > 0);

        Assert.Equal(Models.Length, health.OutCount);
        foreach (var model in Models)
        {
            Assert.True(health.IsSkipped(model, out var report));
            Assert.Equal((ModelHealthState.Unhealthy, 20, 20), (report.State, report.RecentCalls, report.RecentFailures));
        }

        // After the break, successes from every thread at once: each model closes exactly once.
        time.Advance(TimeSpan.FromSeconds(30));
        await Parallel.ForAsync(0, 16, ct, (worker, _) =>
        {
            for (var i = 0; i < 500; i++)
            {
                health.Record(Models[(worker + i) % Models.Length], ModelCallOutcome.Success, TimeSpan.FromMilliseconds(10));
            }

            return ValueTask.CompletedTask;
        });

        Assert.Equal(0, health.OutCount);
        foreach (var model in Models)
        {
            Assert.False(health.IsSkipped(model, out _));
            var report = health.GetReport(model);
            Assert.Equal((ModelHealthState.Healthy, 20, 0, TimeSpan.FromMilliseconds(10)), (report.State, report.RecentCalls, report.RecentFailures, report.AverageLatency));
        }
    }

    [Fact]
    public async Task Mixed_outcomes_recorded_in_parallel_are_all_counted()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var health = new ModelHealthTracker(new ModelHealthOptions { WindowSize = 1000, MinimumCalls = 1000, FailureRatio = 0.99 }, time);

        await Parallel.ForAsync(0, 10, TestContext.Current.CancellationToken, (worker, _) =>
        {
            for (var i = 0; i < 100; i++)
            {
                health.Record("m", i % 4 == 0 ? ModelCallOutcome.Timeout : i % 4 == 1 ? ModelCallOutcome.Failure : ModelCallOutcome.Success, TimeSpan.FromMilliseconds(100));
            }

            return ValueTask.CompletedTask;
        });

        var report = health.GetReport("m");
        Assert.Equal((1000, 500, 250, TimeSpan.FromMilliseconds(100)), (report.RecentCalls, report.RecentFailures, report.RecentTimeouts, report.AverageLatency));
        Assert.Equal(ModelHealthState.Healthy, report.State);
    }

    [Fact]
    public void Bad_options_and_bad_outcomes_are_refused()
    {
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => ModelRouting.CreateHealth(new ModelHealthOptions { WindowSize = 3, MinimumCalls = 5 }));
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => ModelRouting.CreateHealth(new ModelHealthOptions { FailureRatio = 1.5 }));
        var health = ModelRouting.CreateHealth();
        Assert.Throws<ArgumentOutOfRangeException>(() => health.Record("m", (ModelCallOutcome)9, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => health.Record("m", ModelCallOutcome.Success, TimeSpan.FromSeconds(-1)));
        Assert.Equal(default, health.GetReport("never-called"));
    }
}
