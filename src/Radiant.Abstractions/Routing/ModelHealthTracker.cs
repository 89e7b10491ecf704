using System.Collections.Concurrent;

namespace Radiant.Routing;

/// <summary>
/// The in-memory <see cref="IModelHealth"/>: a ring of the last outcomes per model behind a short per-model lock, and
/// a count of the models currently out, so that checking a healthy catalogue (the common case) reads one integer.
/// </summary>
internal sealed class ModelHealthTracker : IModelHealth
{
    private readonly ConcurrentDictionary<string, Window> _models = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _windowSize;
    private readonly int _minimumCalls;
    private readonly double _failureRatio;
    private readonly long _samplingTicks;
    private readonly long _breakTicks;

    // Models that tripped and have not yet recorded the success that closes them (skipped or recovering).
    private int _out;

    public ModelHealthTracker(ModelHealthOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ModelRoutingOptionsChecks.ThrowIfInvalid(options);
        _time = time;
        _windowSize = options.WindowSize;
        _minimumCalls = options.MinimumCalls;
        _failureRatio = options.FailureRatio;
        _samplingTicks = options.SamplingPeriod.Ticks;
        _breakTicks = options.BreakDuration.Ticks;
    }

    /// <summary>Models tripped and not yet closed by a success (for tests).</summary>
    internal int OutCount => Volatile.Read(ref _out);

    public void Record(string modelId, ModelCallOutcome outcome, TimeSpan latency)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        if (!Enum.IsDefined(outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown call outcome.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        var window = _models.GetOrAdd(modelId, static (_, size) => new Window(size), _windowSize);
        var now = _time.GetUtcNow().UtcTicks;
        lock (window.Lock)
        {
            window.Add(new Outcome(now, latency.Ticks, outcome));
            var failed = outcome != ModelCallOutcome.Success;
            if (window.Out)
            {
                if (now < window.UnhealthyUntil)
                {
                    return; // a call that was in flight when the model tripped
                }

                if (failed)
                {
                    Volatile.Write(ref window.UnhealthyUntil, now + _breakTicks);
                    return;
                }

                // The first success after the break: healthy again, judged from here on.
                window.Clear();
                window.Add(new Outcome(now, latency.Ticks, outcome));
                window.Out = false;
                Volatile.Write(ref window.UnhealthyUntil, 0);
                Interlocked.Decrement(ref _out);
                return;
            }

            if (failed)
            {
                var (calls, failures, _, _) = window.Count(now - _samplingTicks);
                if (calls >= _minimumCalls && failures > calls * _failureRatio)
                {
                    Volatile.Write(ref window.UnhealthyUntil, now + _breakTicks);
                    window.Out = true;
                    Interlocked.Increment(ref _out);
                }
            }
        }
    }

    public ModelHealthReport GetReport(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return _models.TryGetValue(modelId, out var window) ? Report(window, _time.GetUtcNow().UtcTicks) : default;
    }

    public bool IsSkipped(string modelId, out ModelHealthReport report)
    {
        report = default;
        if (Volatile.Read(ref _out) == 0 || !_models.TryGetValue(modelId, out var window))
        {
            return false;
        }

        var until = Volatile.Read(ref window.UnhealthyUntil);
        if (until == 0)
        {
            return false;
        }

        var now = _time.GetUtcNow().UtcTicks;
        if (now >= until)
        {
            return false; // recovering: routed to again
        }

        report = Report(window, now);
        return report.State == ModelHealthState.Unhealthy;
    }

    private ModelHealthReport Report(Window window, long now)
    {
        lock (window.Lock)
        {
            var (calls, failures, timeouts, latencyTicks) = window.Count(now - _samplingTicks);
            var state = !window.Out ? ModelHealthState.Healthy : now < window.UnhealthyUntil ? ModelHealthState.Unhealthy : ModelHealthState.Recovering;
            return new ModelHealthReport(
                state,
                calls,
                failures,
                timeouts,
                calls == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(latencyTicks / calls),
                window.Out ? new DateTimeOffset(window.UnhealthyUntil, TimeSpan.Zero) : null);
        }
    }

    private readonly record struct Outcome(long Ticks, long LatencyTicks, ModelCallOutcome Kind);

    /// <summary>The last outcomes of one model, oldest overwritten first. Guarded by <see cref="Lock"/>.</summary>
    private sealed class Window(int size)
    {
        private readonly Outcome[] _ring = new Outcome[size];
        private int _next;
        private int _count;

        public Lock Lock { get; } = new();

        /// <summary>UTC ticks until which the model is skipped; 0 while healthy. Written under the lock, read without it.</summary>
        public long UnhealthyUntil;

        /// <summary>Tripped and not yet closed by a success.</summary>
        public bool Out;

        public void Add(Outcome outcome)
        {
            _ring[_next] = outcome;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }

        public void Clear() => (_next, _count) = (0, 0);

        public (int Calls, int Failures, int Timeouts, long LatencyTicks) Count(long since)
        {
            var (calls, failures, timeouts, latency) = (0, 0, 0, 0L);
            for (var i = 0; i < _count; i++)
            {
                ref readonly var o = ref _ring[i];
                if (o.Ticks < since)
                {
                    continue;
                }

                calls++;
                latency += o.LatencyTicks;
                if (o.Kind != ModelCallOutcome.Success)
                {
                    failures++;
                    timeouts += o.Kind == ModelCallOutcome.Timeout ? 1 : 0;
                }
            }

            return (calls, failures, timeouts, latency);
        }
    }
}
