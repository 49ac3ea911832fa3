using HdrHistogram;

namespace PriceFeed.LoadTest.Runs;

/// <summary>The percentiles of one latency histogram, in microseconds, and the curve for the plot.</summary>
internal sealed record LatencySummary(long Count, double P50Us, double P90Us, double P99Us, double P999Us, double MaxUs)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>(percentile, µs) pairs from 0 to 100, dense towards the tail, as HdrHistogram plots them.</summary>
    public IReadOnlyList<PercentilePoint> Curve { get; init; } = [];

    public static LatencySummary From(LongHistogram histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return Empty;
        }

        var curve = new List<PercentilePoint>();
        foreach (var value in histogram.Percentiles(percentileTicksPerHalfDistance: 5))
        {
            curve.Add(new PercentilePoint(value.PercentileLevelIteratedTo, Us(value.ValueIteratedTo)));
        }

        return new LatencySummary(
            histogram.TotalCount,
            Us(histogram.GetValueAtPercentile(50)),
            Us(histogram.GetValueAtPercentile(90)),
            Us(histogram.GetValueAtPercentile(99)),
            Us(histogram.GetValueAtPercentile(99.9)),
            Us(histogram.GetMaxValue()))
        {
            Curve = curve,
        };
    }

    /// <summary>
    /// As <see cref="From"/>, but null for an empty histogram: for the send-time split, where nothing
    /// recorded means the server sends no <c>send_time_ns</c>, so there is no figure rather than a zero one.
    /// </summary>
    public static LatencySummary? FromStamped(LongHistogram histogram) => histogram.TotalCount == 0 ? null : From(histogram);

    private static double Us(long ns) => Math.Round(ns / 1000.0, 1);
}

/// <summary>One point of a percentile curve.</summary>
internal readonly record struct PercentilePoint(double Percentile, double LatencyUs);
