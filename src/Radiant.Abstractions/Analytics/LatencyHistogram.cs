namespace Radiant.Analytics;

/// <summary>
/// The fixed log-scale latency histogram every usage rollup row carries, so percentiles merge across rows and buckets
/// (add the counts, read the percentile). Bucket 0 holds 0 ms; bucket <c>k</c> (1–82) holds latencies in
/// [2^((k−1)/4), 2^(k/4)) ms — four buckets per doubling; bucket 83 holds everything from 2^20.5 ms (~24 minutes) up.
/// The database assigns buckets with the same formula (<c>usage_latency_bucket</c>, migration 0011).
/// </summary>
/// <remarks>
/// A percentile read from the histogram is the bucket's harmonic midpoint <c>2·lo·hi/(lo+hi)</c> of the bucket that
/// holds the exact percentile (the nearest-rank one, <c>percentile_disc</c>), so it is within
/// <see cref="RelativeErrorBound"/> (γ−1)/(γ+1) with γ = 2^(1/4), 8.64 %, of the exact value — for latencies under
/// ~24 minutes; 0 ms is exact. Above that the estimate is the last bucket's lower bound.
/// </remarks>
public static class LatencyHistogram
{
    /// <summary>Buckets per histogram (the rollup arrays' length).</summary>
    public const int BucketCount = 84;

    /// <summary>Buckets per doubling of latency.</summary>
    public const int BucketsPerDoubling = 4;

    /// <summary>The largest relative error of a percentile read from the histogram: (γ−1)/(γ+1), γ = 2^(1/4).</summary>
    public static readonly double RelativeErrorBound = (Math.Pow(2, 1.0 / BucketsPerDoubling) - 1) / (Math.Pow(2, 1.0 / BucketsPerDoubling) + 1);

    private static readonly double Gamma = Math.Pow(2, 1.0 / BucketsPerDoubling);

    /// <summary>The bucket of a latency in milliseconds.</summary>
    public static int BucketOf(int milliseconds) =>
        milliseconds < 1 ? 0 : Math.Min(BucketCount - 1, 1 + (int)Math.Floor(BucketsPerDoubling * Math.Log(milliseconds) / Math.Log(2)));

    /// <summary>The latency a bucket stands for: 0 for bucket 0, else its harmonic midpoint (the last bucket: its lower bound).</summary>
    public static double Estimate(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, BucketCount);
        if (bucket == 0)
        {
            return 0;
        }

        var low = Math.Pow(2, (bucket - 1) / (double)BucketsPerDoubling);
        if (bucket == BucketCount - 1)
        {
            return low;
        }

        var high = low * Gamma;
        return 2 * low * high / (low + high);
    }

    /// <summary>
    /// The <paramref name="quantile"/> (0 &lt; q ≤ 1; 0.95 for p95) of the latencies counted in
    /// <paramref name="counts"/> (one count per bucket), nearest rank; null when nothing is counted.
    /// </summary>
    public static double? Percentile(IReadOnlyList<long> counts, double quantile)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (quantile is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must be in (0, 1].");
        }

        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var bucket = 0; bucket < counts.Count; bucket++)
        {
            seen += counts[bucket];
            if (seen >= rank)
            {
                return Estimate(bucket);
            }
        }

        return Estimate(counts.Count - 1);
    }
}
