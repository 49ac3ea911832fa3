using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using DotNetty.Common.Utilities;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// What one resume costs the client's event loop (docs/protocol.md, "Resume"): the subscribe with <c>resume</c>, the
/// history read and the replay written as <c>quotes</c> frames through the real WebSocket encoder, then the
/// unsubscribe that makes the next operation a fresh resume. Off the hot path: it runs once per reconnect.
/// </summary>
/// <remarks>
/// <para>Per operation: <see cref="Symbols"/> symbols resumed with <see cref="Missed"/> missed updates each, from a
/// history at the default depth (1,024) that holds them; the replay is at most the default queue bound (1,024
/// updates), so 10 x 100 is the largest replay a default server sends for one subscribe.</para>
/// <para>Reported per operation; divide by Symbols x Missed for the cost per replayed update.</para>
/// <para>Measured (issue 15, 2 shared cores, <c>--filter '*ResumeBenchmarks*' --job short</c>): 10 symbols x 100 missed
/// (1,000 updates, the most one subscribe replays by default) 86 us, 86 ns per replayed update, 177 KB allocated (each
/// update's entry is copied out of the history before the frames are written); 1 x 10: 2.2 us. Raw output in
/// docs/results/issue15/resume-benchmark.txt.</para>
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "The channel is closed by GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class ResumeBenchmarks
{
    private const int Depth = 1024;

    private SubscriptionService? _service;
    private ClientSession? _session;
    private EmbeddedChannel? _channel;
    private Subscribe _resume = new();
    private Unsubscribe _unsubscribe = new();

    [Params(1, 10)]
    public int Symbols { get; set; }

    [Params(10, 100)]
    public int Missed { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        var symbols = SampleQuotes.Symbols(Symbols);
        var cache = new LastValueCache(Symbols);
        var log = new QuoteLog(1 << 16);
        var registry = new SubscriptionRegistry(Symbols);
        var history = new SymbolHistory(Depth, symbols);
        var epoch = new SourceEpoch("bench-epoch");
        _service = new SubscriptionService(registry, symbols, maxSymbolsPerClient: 1000, epoch);
        var handler = new QuoteFanoutHandler(cache, log, symbols, registry, history, epoch, _service);
        var context = new FanoutContext(cache, log, DropOldest: false, QueueCapacity: 1024, SlowConsumerGraceMs: 10_000, Metrics: new ServerMetrics(), History: history);
        var anchor = new ChannelHandlerAdapter();
        _channel = new EmbeddedChannel(new WebSocketFrameEncoder(), anchor);
        _session = new ClientSession(_channel.Pipeline.Context(anchor), context, new ProtobufQuoteFrames(cache, log));
        _service.Opened(_session);

        // A full history: Depth updates of every symbol; the client last held the one Missed before the newest.
        long sequence = 0;
        for (var n = 0; n < Depth; n++)
        {
            for (var id = 0; id < Symbols; id++)
            {
                var quote = SampleQuotes.Event(id, n);
                handler.OnEvent(ref quote, sequence++, endOfBatch: id == Symbols - 1);
            }
        }

        _resume = new Subscribe { RequestId = 1, Epoch = "bench-epoch" };
        _unsubscribe = new Unsubscribe { RequestId = 2 };
        for (var id = 0; id < Symbols; id++)
        {
            var name = symbols.GetName(id);
            _resume.Symbols.Add(name);
            _resume.Resume[name] = (ulong)(Depth - Missed);
            _unsubscribe.Symbols.Add(name);
        }
    }

    [GlobalCleanup]
    public void CleanUp() => _channel?.CloseAsync().GetAwaiter().GetResult();

    [Benchmark]
    public int Resume()
    {
        var snapshot = new List<SymbolSubscription>();
        var result = _service!.Subscribe(_session!, _resume, snapshot);
        var replays = _service.Resume(_session!, _resume, "bench-epoch", snapshot, result);
        _session!.WriteReplays(replays);
        var frames = 0;
        while (_channel!.ReadOutbound<object>() is { } written)
        {
            frames++;
            ReferenceCountUtil.Release(written);
        }

        _service.Unsubscribe(_session, _unsubscribe);
        return result.Recovered.Count == Symbols ? frames : throw new InvalidOperationException("a symbol was not recovered");
    }
}
