using PriceFeed.Server.Ring;

namespace PriceFeed.Server.Fanout;

/// <summary>The ring's consumer: takes each quote once, on the fan-out thread.</summary>
/// <remarks>
/// Runs on the single fan-out thread of a <see cref="BatchEventProcessor{T}"/>; nothing else
/// calls it. Keeps the last-value cache and counts what it processed.
/// </remarks>
internal sealed class QuoteFanoutHandler : IEventHandler<QuoteEvent>
{
    private readonly LastValueCache _cache;
    private long _processed;

    public QuoteFanoutHandler(LastValueCache cache) => _cache = cache;

    /// <summary>Quotes processed so far; readable from any thread.</summary>
    public long Processed => Volatile.Read(ref _processed);

    public void OnEvent(ref QuoteEvent data, long sequence, bool endOfBatch)
    {
        _cache.Write(data);
        Volatile.Write(ref _processed, _processed + 1);
    }
}
