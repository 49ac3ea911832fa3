using DotNetty.Buffers;
using DotNetty.Common.Utilities;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Sources;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// The server's fan-out as the ring's consumer sees it, with no socket: the handler, the caches and
/// <paramref name="sessions"/> client sessions, each on its own <see cref="EmbeddedChannel"/> whose
/// pipeline holds the real frame encoder. Every session subscribes to every symbol.
/// </summary>
/// <remarks>
/// Drains scheduled at the end of a batch run when <see cref="RunDrains"/> runs the channels'
/// pending tasks (the embedded event loop runs nothing by itself); the frames they wrote are then
/// read from the channels and released, as the socket would.
/// </remarks>
internal sealed class FanoutRig : IDisposable
{
    private readonly List<EmbeddedChannel> _channels = [];
    private readonly SymbolTable _symbols;
    private long _sequence;
    private long _quoteNumber;

    /// <param name="resumeDepth">Updates kept per symbol for resume, as <c>--resume-depth</c>; 0: no history.</param>
    /// <param name="bars">Whether the fan-out computes bars, as the server does unless <c>--bar-history 0</c>.</param>
    /// <param name="barSessions">How many of the sessions also subscribe to the bars of every symbol, in all four intervals.</param>
    public FanoutRig(int symbols, int sessions, bool dropPolicy, int resumeDepth = 0, bool bars = false, int barSessions = 0)
    {
        _symbols = SampleQuotes.Symbols(symbols);
        var cache = new LastValueCache(symbols);
        // The server's sizes (FeedServer): the log holds four rings' worth of quotes under drop, one under conflate;
        // the queue bound is the default.
        var log = new QuoteLog(dropPolicy ? 1 << 18 : 1 << 16);
        var registry = new SubscriptionRegistry(symbols);
        var history = resumeDepth > 0 ? new SymbolHistory(resumeDepth, _symbols) : null;
        // The server's default bar settings (FeedServer): 1,000 closed bars kept, closed 20 ms after their end.
        var book = bars ? new BarBook(_symbols, closeDelayNs: 20_000_000) : null;
        var barRegistry = bars ? new BarRegistry(symbols) : null;
        var fanout = new FanoutContext(
            cache, log, DropOldest: dropPolicy, QueueCapacity: 1024, SlowConsumerGraceMs: 10_000, Metrics: new ServerMetrics(), History: history,
            Bars: book, Symbols: _symbols);
        Handler = new QuoteFanoutHandler(cache, log, _symbols, registry, history, bars: book, barRegistry: barRegistry);

        for (var i = 0; i < sessions; i++)
        {
            var anchor = new ChannelHandlerAdapter();
            var channel = new EmbeddedChannel(new WebSocketFrameEncoder(), anchor);
            _channels.Add(channel);
            var session = new ClientSession(channel.Pipeline.Context(anchor), fanout, new ProtobufQuoteFrames(cache, log));
            Sessions.Add(session);
            registry.Change(m =>
            {
                for (var symbolId = 0; symbolId < symbols; symbolId++)
                {
                    m.Add(new SymbolSubscription(session, symbolId, throttleTicks: 0, viaWildcard: false));
                }
            });
            if (i < barSessions)
            {
                barRegistry!.Change((session, symbols), static (m, s) =>
                {
                    for (var symbolId = 0; symbolId < s.symbols; symbolId++)
                    {
                        for (var interval = 0; interval < BarIntervals.Count; interval++)
                        {
                            m.Add(new BarSubscription(s.session, symbolId, interval, throttleTicks: 0, viaWildcard: false));
                        }
                    }
                });
            }
        }
    }

    public QuoteFanoutHandler Handler { get; }

    public List<ClientSession> Sessions { get; } = [];

    public int SymbolCount => _symbols.Count;

    public string SymbolName(int symbolId) => _symbols.GetName(symbolId);

    /// <summary>Hands the next quote of <paramref name="symbolId"/> to the fan-out handler, as the ring's consumer does.</summary>
    public void Publish(int symbolId, bool endOfBatch)
    {
        var quote = SampleQuotes.Event(symbolId, _quoteNumber++);
        Handler.OnEvent(ref quote, _sequence++, endOfBatch);
    }

    /// <summary>Runs the drains the last batch scheduled, then takes and releases what they wrote; returns the bytes written.</summary>
    public long RunDrains()
    {
        long written = 0;
        foreach (var channel in _channels)
        {
            channel.RunPendingTasks();
            while (channel.ReadOutbound<object>() is { } message)
            {
                if (message is IByteBuffer buffer)
                {
                    written += buffer.ReadableBytes;
                }

                ReferenceCountUtil.Release(message);
            }
        }

        return written;
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.CloseAsync().GetAwaiter().GetResult();
        }
    }
}
