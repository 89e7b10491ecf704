using Radiant.Analytics;

namespace Radiant.Tests.Analytics;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Every_latency_up_to_24_minutes_is_estimated_within_the_stated_bound()
    {
        Assert.InRange(LatencyHistogram.RelativeErrorBound, 0.0864, 0.0865);
        Assert.Equal(0, LatencyHistogram.Estimate(LatencyHistogram.BucketOf(0)));
        for (var ms = 1; ms < 1_450_000; ms++)
        {
            var estimate = LatencyHistogram.Estimate(LatencyHistogram.BucketOf(ms));
            Assert.True(Math.Abs(estimate - ms) <= (ms * LatencyHistogram.RelativeErrorBound) + 1e-9, $"{ms} ms: {estimate}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_of_merged_histograms_are_within_the_bound_of_the_exact_nearest_rank_percentile(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 6))
                .Select(_ => Enumerable.Range(0, random.Next(1, 300)).Select(_ => (int)Math.Exp(random.NextDouble() * 12)).ToList())
                .ToList();
            var merged = new long[LatencyHistogram.BucketCount];
            foreach (var latency in parts.SelectMany(p => p))
            {
                merged[LatencyHistogram.BucketOf(latency)]++;
            }

            var sorted = parts.SelectMany(p => p).Order().ToList();
            foreach (var q in new[] { 0.5, 0.9, 0.95, 0.99, 1.0 })
            {
                var exact = sorted[(int)Math.Ceiling(q * sorted.Count) - 1];
                var estimate = LatencyHistogram.Percentile(merged, q)!.Value;
                Assert.True(Math.Abs(estimate - exact) <= (exact * LatencyHistogram.RelativeErrorBound) + 1e-9, $"q={q}: {estimate} vs exact {exact}");
            }
        }
    }

    [Fact]
    public void An_empty_histogram_has_no_percentile()
    {
        Assert.Null(LatencyHistogram.Percentile(new long[LatencyHistogram.BucketCount], 0.95));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencyHistogram.Percentile(new long[LatencyHistogram.BucketCount], 0));
    }
}
