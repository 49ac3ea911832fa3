using Microsoft.Extensions.Logging;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Simulation;

namespace PriceFeed.Server.Sources;

/// <summary>Runs the built-in simulator in-process and publishes its quotes into the ring.</summary>
/// <remarks>
/// The simulator's thread is the ring's single producer: it claims a batch of slots, fills
/// them in place (symbol index mapped to the server's symbol id, publish time stamped once
/// per batch) and publishes the batch. Nothing is allocated per quote.
/// </remarks>
internal sealed class SimulatorQuoteSource : IQuoteSource, IQuoteSink, IDisposable
{
    private readonly RingBuffer<QuoteEvent> _ring;
    private readonly QuoteSimulator _simulator;
    private readonly int[] _symbolIds;
    private readonly ILogger _logger;

    public SimulatorQuoteSource(SimulatorOptions options, SymbolTable symbols, RingBuffer<QuoteEvent> ring, ILogger logger)
    {
        _ring = ring;
        _logger = logger;
        var universe = SymbolUniverse.Create(options);
        _symbolIds = new int[universe.Count];
        for (var i = 0; i < _symbolIds.Length; i++)
        {
            _symbolIds[i] = symbols.Intern(universe.Symbols[i]);
        }

        _simulator = new QuoteSimulator(options, universe, this);
    }

    public string Name => "sim";

    /// <summary>The seed the simulator runs with (the one given, or the random one it picked).</summary>
    public ulong Seed => _simulator.Seed;

    public long Published => _simulator.QuotesPublished;

    public Task Completion => _simulator.Completion;

    public void Start()
    {
        _logger.LogInformation(
            "Simulator: {Symbols} symbols, {Rate} quotes/s, seed {Seed}", _symbolIds.Length, _simulator.Rate, Seed);
        _simulator.Start();
    }

    public Task StopAsync()
    {
        _simulator.Stop();
        return _simulator.Completion;
    }

    public void Dispose() => _simulator.Dispose();

    /// <inheritdoc />
    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        var publishTimeNs = UnixClock.NowNs();
        var remaining = batch;
        while (!remaining.IsEmpty)
        {
            // The ring may be smaller than the simulator's batch; claim what fits in one go.
            var n = Math.Min(remaining.Length, _ring.BufferSize);
            var hi = _ring.Next(n);
            var lo = hi - n + 1;
            for (var i = 0; i < n; i++)
            {
                ref readonly var source = ref remaining[i];
                ref var slot = ref _ring[lo + i];
                slot.SymbolId = _symbolIds[source.Instrument];
                slot.Seq = source.Seq;
                slot.SourceTimeNs = source.SourceTimeNs;
                slot.PublishTimeNs = publishTimeNs;
                slot.Bid = source.Bid;
                slot.Ask = source.Ask;
                slot.BidSize = source.BidSize;
                slot.AskSize = source.AskSize;
                slot.Last = source.Last;
                slot.LastSize = source.LastSize;
                slot.Volume = source.Volume;
            }

            _ring.Publish(lo, hi);
            remaining = remaining[n..];
        }
    }
}
