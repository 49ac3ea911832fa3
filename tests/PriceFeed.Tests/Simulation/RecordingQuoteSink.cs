using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

/// <summary>Keeps a copy of every quote with the Unix time it arrived, for tests to inspect after the run.</summary>
/// <remarks>Written by the simulator's thread; read it after <see cref="QuoteSimulator.Completion"/>, or
/// through <see cref="Count"/> while running.</remarks>
internal sealed class RecordingQuoteSink : IQuoteSink
{
    private readonly List<SimulatedQuote> _quotes = [];
    private readonly List<long> _arrivalNs = [];
    private readonly List<int> _batchSizes = [];
    private int _count;

    /// <summary>Called on the simulator's thread before a batch is recorded: lets a test stall or fail the sink.</summary>
    public Action<int>? BeforeBatch { get; init; }

    public IReadOnlyList<SimulatedQuote> Quotes => _quotes;

    /// <summary>Unix time in ns at which each quote reached the sink.</summary>
    public IReadOnlyList<long> ArrivalNs => _arrivalNs;

    /// <summary>The size of each batch, in the order received.</summary>
    public IReadOnlyList<int> BatchSizes => _batchSizes;

    public int Count => Volatile.Read(ref _count);

    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        BeforeBatch?.Invoke(_quotes.Count);
        var now = UnixTime.NowNs();
        _batchSizes.Add(batch.Length);
        foreach (var quote in batch)
        {
            _quotes.Add(quote);
            _arrivalNs.Add(now);
        }

        Volatile.Write(ref _count, _quotes.Count);
    }
}
