using System.Diagnostics;
using HdrHistogram;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>
/// The consumer of the latency run: records, for each measured quote, the time from the
/// producer's timestamp in <see cref="QuoteEvent.SourceTimeNs"/> (a <see cref="Stopwatch"/>
/// timestamp) to the moment the handler sees it.
/// </summary>
/// <remarks>Runs on the processor's thread; read <see cref="Histogram"/> after the processor
/// has stopped.</remarks>
internal sealed class LatencyRecordingHandler : IEventHandler<QuoteEvent>
{
    /// <summary><see cref="QuoteEvent.SymbolId"/> of a quote that counts.</summary>
    public const int MeasuredSymbol = 0;

    /// <summary><see cref="QuoteEvent.SymbolId"/> of a warm-up quote, not recorded.</summary>
    public const int WarmUpSymbol = 1;

    // 10 s in ns: far above any latency the ring should show, so nothing is clamped in practice.
    private const long HighestTrackableNs = 10_000_000_000;

    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>One-way latencies in nanoseconds, 3 significant digits.</summary>
    public LongHistogram Histogram { get; } = new(HighestTrackableNs, 3);

    public void OnEvent(ref QuoteEvent data, long sequence, bool endOfBatch)
    {
        long received = Stopwatch.GetTimestamp();
        if (data.SymbolId == MeasuredSymbol)
        {
            long nanoseconds = (long)((received - data.SourceTimeNs) * s_nanosecondsPerTick);
            Histogram.RecordValue(Math.Clamp(nanoseconds, 0, HighestTrackableNs));
        }
    }
}
