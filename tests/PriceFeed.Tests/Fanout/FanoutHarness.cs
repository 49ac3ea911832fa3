using PriceFeed.Server.Bars;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Security;
using PriceFeed.Server.Sources;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// The server's fan-out core with no socket and no ring: the real handler, caches, registry,
/// subscription service and client sessions, each client on its own <see cref="DotNetty.Transport.Channels.Embedded.EmbeddedChannel"/>.
/// </summary>
/// <remarks>
/// <para>The test plays the ring's consumer (<see cref="Publish"/> calls the handler as the
/// processor would) and the event loops (<see cref="FanoutClient.RunPendingTasks"/> runs the drains
/// the handler scheduled). Everything happens on the calling thread unless a test starts threads of
/// its own, so interleavings are the test's to choose.</para>
/// <para>Sizes are the server's defaults unless a test says otherwise (FeedServer: the log holds
/// four rings' worth under <c>drop</c>, one under <c>conflate</c>; here a small ring).</para>
/// </remarks>
internal sealed class FanoutHarness : IDisposable
{
    private readonly List<FanoutClient> _clients = [];
    private readonly ulong[] _seqs;
    private long _sequence;

    public FanoutHarness(
        int symbols = 16,
        bool dropOldest = false,
        int queueCapacity = 1024,
        int maxSymbolsPerClient = 1000,
        int logCapacity = 1 << 12,
        int slowConsumerGraceMs = 10_000,
        int resumeDepth = 0,
        bool bars = false)
    {
        Symbols = new SymbolTable(Math.Max(symbols, 1) * 2);
        for (var i = 0; i < symbols; i++)
        {
            Symbols.Intern(SymbolName(i));
        }

        _seqs = new ulong[Symbols.Capacity];
        Metrics = new ServerMetrics();
        Cache = new LastValueCache(Symbols.Capacity);
        Log = new QuoteLog(logCapacity);
        Registry = new SubscriptionRegistry(Symbols.Capacity);
        SourceEpoch = new SourceEpoch(Epoch);
        // Bars as the server makes them (FeedServer): 1,000 kept per symbol and interval, closed 20 ms after their end.
        Bars = bars ? new BarBook(Symbols, closeDelayNs: 20_000_000) : null;
        BarRegistry = bars ? new BarRegistry(Symbols.Capacity) : null;
        Service = new SubscriptionService(Registry, Symbols, maxSymbolsPerClient, SourceEpoch) { BarRegistry = BarRegistry };
        History = resumeDepth > 0 ? new SymbolHistory(resumeDepth, Symbols) : null;
        Context = new FanoutContext(Cache, Log, dropOldest, queueCapacity, slowConsumerGraceMs, Metrics, History, Bars, Symbols);
        Handler = new QuoteFanoutHandler(Cache, Log, Symbols, Registry, History, SourceEpoch, Service, bars: Bars, barRegistry: BarRegistry);
        ProtobufFrames = new ProtobufQuoteFrames(Cache, Log);
        JsonFrames = new JsonQuoteFrames(Cache, Log, Symbols);
    }

    /// <summary>The epoch resumes are checked against, as the server's source would announce it.</summary>
    public const string Epoch = "harness-epoch";

    public SymbolTable Symbols { get; }

    /// <summary>The source's epoch as the fan-out follows it; <see cref="ChangeEpoch"/> moves it on.</summary>
    public SourceEpoch SourceEpoch { get; }

    /// <summary>How many times the epoch changed: every quote carries it in its bid size (100 + this), so a client can
    /// tell which epoch a quote it receives belongs to.</summary>
    public int EpochNumber { get; private set; }

    /// <summary>The updates kept for resume; null unless the harness was made with a <c>resumeDepth</c>.</summary>
    public SymbolHistory? History { get; }

    public ServerMetrics Metrics { get; }

    /// <summary>The bars the fan-out computes; null unless the harness was made with <c>bars</c>.</summary>
    public BarBook? Bars { get; }

    public BarRegistry? BarRegistry { get; }

    public LastValueCache Cache { get; }

    public QuoteLog Log { get; }

    public SubscriptionRegistry Registry { get; }

    public SubscriptionService Service { get; }

    public FanoutContext Context { get; }

    public QuoteFanoutHandler Handler { get; }

    public ProtobufQuoteFrames ProtobufFrames { get; }

    public JsonQuoteFrames JsonFrames { get; }

    /// <summary>The ring sequence the next published quote gets.</summary>
    public long NextSequence => _sequence;

    /// <summary>The name of symbol number <paramref name="i"/>: <c>S0</c>, <c>S1</c>, ...</summary>
    public static string SymbolName(int i) => $"S{i}";

    /// <summary>The seq the source gave symbol <paramref name="symbolId"/> last (0: none yet).</summary>
    public ulong SourceSeq(int symbolId) => _seqs[symbolId];

    /// <summary>The next quote of <paramref name="symbolId"/>, as a source would make it: seq, times and prices grow.</summary>
    /// <param name="sourceTimeNs">The quote's source time (what its bars go by); 0: one that grows a microsecond a quote.</param>
    public QuoteEvent NextQuote(int symbolId, long sourceTimeNs = 0)
    {
        var seq = ++_seqs[symbolId];
        var mid = 100 + symbolId + (seq % 100 * 0.01);
        var now = sourceTimeNs != 0 ? sourceTimeNs : 1_764_000_000_000_000_000 + (_sequence * 1_000);
        return new QuoteEvent
        {
            SymbolId = symbolId, Seq = seq, SourceTimeNs = now, PublishTimeNs = now + 500,
            Bid = mid - 0.01, Ask = mid + 0.01, BidSize = 100 + EpochNumber, AskSize = 200, Last = mid, LastSize = 10, Volume = seq * 10,
        };
    }

    /// <summary>Hands the next quote of <paramref name="symbolId"/> to the fan-out handler, as the ring's consumer does.</summary>
    public QuoteEvent Publish(int symbolId, bool endOfBatch = true, long sourceTimeNs = 0)
    {
        var quote = NextQuote(symbolId, sourceTimeNs);
        Handler.OnEvent(ref quote, _sequence++, endOfBatch);
        return quote;
    }

    /// <summary>The number of the epoch named <paramref name="epoch"/>: the harness's own is 0, <c>e1</c> 1, <c>e2</c> 2, ...</summary>
    public static int EpochNumberOf(string epoch) => epoch == Epoch ? 0 : int.Parse(epoch.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The source's seqs start again under a new epoch: hands the marker to the handler, as the ring's consumer does.</summary>
    /// <remarks>Epochs are named <c>e1</c>, <c>e2</c>, ... in order (<see cref="EpochNumberOf"/>).</remarks>
    public void ChangeEpoch(bool endOfBatch = true)
    {
        Array.Clear(_seqs);
        EpochNumber++;
        SourceEpoch.Announce($"e{EpochNumber}");
        var marker = QuoteEvent.EpochChange(0);
        Handler.OnEvent(ref marker, _sequence++, endOfBatch);
    }

    /// <summary>Publishes one quote of each symbol in <paramref name="symbolIds"/> as one ring batch.</summary>
    public void PublishBatch(params int[] symbolIds)
    {
        for (var i = 0; i < symbolIds.Length; i++)
        {
            Publish(symbolIds[i], endOfBatch: i == symbolIds.Length - 1);
        }
    }

    /// <summary>A new client session, registered with the subscription service as the server does on upgrade.</summary>
    public FanoutClient Connect(bool json = false, Entitlements? entitlements = null)
    {
        if (json)
        {
            Cache.EnableJson();
            Log.EnableJson();
        }

        var client = new FanoutClient(this, json, entitlements);
        _clients.Add(client);
        Service.Opened(client.Session);
        return client;
    }

    /// <summary>Runs every client's pending drains and reads what they wrote.</summary>
    public void DrainAll()
    {
        foreach (var client in _clients)
        {
            client.RunPendingTasks();
            client.Read();
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}
