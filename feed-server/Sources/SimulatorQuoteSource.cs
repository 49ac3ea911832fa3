using System.Runtime.CompilerServices;
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

    /// <summary>This run of the simulator: its seqs start at 1 each time the server starts, so each start is an epoch.</summary>
    /// <remarks>The start time (Unix ms, base 36) and 32 random bits: unique across restarts, also two in the same
    /// millisecond, and a few characters long, e.g. <c>sim-mibx3k2a-3f9c1e07</c>.</remarks>
    public SourceEpoch Epoch { get; } = new(NewEpoch());

    /// <summary>The seed the simulator runs with (the one given, or the random one it picked).</summary>
    public ulong Seed => _simulator.Seed;

    /// <summary>Always live: the simulator is in the process; stopped by its duration, it is quiet, not unreachable.</summary>
    public SourceStatus Status { get; } = new();

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

    private static string NewEpoch()
    {
        var ms = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var text = new System.Text.StringBuilder();
        do
        {
            text.Insert(0, "0123456789abcdefghijklmnopqrstuvwxyz"[(int)(ms % 36)]);
            ms /= 36;
        }
        while (ms > 0);

        return $"sim-{text}-{System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue):x8}";
    }

    /// <inheritdoc />
    public void Publish(ReadOnlySpan<SimulatedQuote> batch) =>
        _ring.PublishEvents(batch, new SimulatedQuoteTranslator(_symbolIds, UnixClock.NowNs()));

    /// <summary>Fills a slot from a simulated quote: its instrument mapped to the server's symbol id, the batch's publish time.</summary>
    private readonly struct SimulatedQuoteTranslator(int[] symbolIds, long publishTimeNs) : IEventTranslator<QuoteEvent, SimulatedQuote>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void TranslateTo(ref QuoteEvent slot, in SimulatedQuote source)
        {
            slot.SymbolId = symbolIds[source.Instrument];
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
    }
}
