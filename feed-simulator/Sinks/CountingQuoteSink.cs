using PriceFeed.Simulation;

namespace PriceFeed.Simulator.Sinks;

/// <summary>Counts the quotes and batches it is handed, and keeps nothing else.</summary>
/// <remarks>Written by the simulator's thread only; the counts may be read from any thread.</remarks>
internal sealed class CountingQuoteSink : IQuoteSink
{
    private long _quotes;
    private long _batches;

    /// <summary>Quotes received so far.</summary>
    public long Quotes => Volatile.Read(ref _quotes);

    /// <summary>Batches received so far.</summary>
    public long Batches => Volatile.Read(ref _batches);

    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        // One writer: a plain read-modify-write published with a volatile store is enough.
        Volatile.Write(ref _quotes, _quotes + batch.Length);
        Volatile.Write(ref _batches, _batches + 1);
    }
}
