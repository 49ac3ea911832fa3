using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using StackExchange.Redis;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>Feeds the ring from the Redis bus: entries live from the channel, missed ones from the stream, the shared
/// last-value cache when the stream no longer holds them (docs/scale-out.md).</summary>
/// <remarks>
/// <para>Threads. StackExchange.Redis delivers messages through a <see cref="ChannelMessageQueue"/>, whose
/// handler runs for one message at a time, in order; it only copies the bytes into a bounded inbox.
/// One dedicated thread, the bus thread, is the ring's single producer: it reads each entry with
/// <see cref="QuoteWireReader"/> (no allocation per quote: symbols map to ids through
/// <see cref="SymbolCache"/>), applies the chain rule and the seq rule, and publishes a batch into the ring.
/// Reads of the stream and the cache run asynchronously and hand their result to the bus thread, which never
/// waits on the network.</para>
/// <para>The chain (<see cref="BusChain"/>): each entry names its epoch, its stream id and the previous entry's id.
/// The next one is applied; one already applied is skipped; any other (missed entries, a reconnect) makes the
/// bus thread <em>catch up</em>: it reads the stream after the last applied id, a page at a time, applies those
/// entries in order, and only then goes back to the inbox. A new epoch (a restarted publisher) is announced and
/// marked in the ring before its first quote, and the seq guard starts again. Where the stream no longer holds the
/// entries after the last applied one (trimmed: away longer than the publisher's <c>--bus-history</c>), the loss is
/// counted and the whole cache read again (a <em>reconcile</em>), then the stream's entries continue.</para>
/// <para>Seq on arrival, per symbol: at or below the last published, dropped (a duplicate or stale quote:
/// clients must see seq strictly increase); above last + 1, a gap (the publisher dropped a batch it could not
/// send): counted, the quote published, and a reconcile. Every node forwards the source's seq and epoch, so all
/// nodes serve the same quotes with the same seq and a client resumes on any of them.</para>
/// <para>At start the stream's newest entry gives the epoch and the position, then the cache is loaded
/// (<see cref="Ready"/>); after every reconnect the node catches up (twice, the second once the resubscription has
/// settled). Reconciles happen at most one at a time and one per <see cref="ReconcileIntervalMs"/>.</para>
/// <para>Redis down: the node keeps serving from its own last-value cache, <see cref="IsUp"/> turns false
/// (logged once per transition), and nothing grows: the client fails fast instead of queueing, the
/// inbox is bounded. Start-up waits at most the connect timeout for a Redis that is not there.</para>
/// <para>One type in partial files by concern: this one holds the state and the life cycle;
/// <c>.Connection</c> the connection and its state, <c>.BusThread</c> the chain, decoding and publishing into the ring,
/// <c>.CatchUp</c> reading the stream (position, catch-up, epochs), <c>.Reconcile</c> reading the shared cache.</para>
/// </remarks>
internal sealed partial class RedisQuoteSource : IQuoteSource, IBusStatus
{
    /// <summary>4,096 messages: seconds of the publisher's 1 ms batches; past it messages are dropped and read again from the stream.</summary>
    public const int InboxCapacity = 4_096;

    /// <summary>At most one cache reload per half second, however many gaps a burst of losses shows.</summary>
    public const int ReconcileIntervalMs = 500;

    /// <summary>The reason the feed is stale while the bus is down (docs/protocol.md, "Feed status").</summary>
    public const string StaleBusDown = "bus_down";

    /// <summary>The reason the feed is stale while the bus is up but the publisher sent nothing, not even a heartbeat,
    /// for <see cref="RedisBus.SilentAfterMs"/>.</summary>
    public const string StalePublisherSilent = "publisher_silent";

    /// <summary>Bounds the wait for Redis at start-up; after it the client keeps reconnecting in the background.</summary>
    private const int ConnectTimeoutMs = 5_000;

    /// <summary>Time between two attempts to subscribe while Redis is not there.</summary>
    private const int SubscribeRetryMs = 1_000;

    /// <summary>How often the bus thread looks at the connection's state when no message wakes it.</summary>
    private const int StatePollMs = 50;

    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);
    private static readonly Comparer<byte[]> s_byteOrder = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    private readonly string _endpoint;
    private readonly ConfigurationOptions _configuration;
    private readonly RingBuffer<QuoteEvent> _ring;
    private readonly ILogger _logger;
    private readonly SymbolCache _symbolCache;
    private readonly BlockingCollection<byte[]> _inbox = new(InboxCapacity);
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _wake = new();

    // Bus thread only.
    private readonly ulong[] _lastSeq;
    private readonly QuoteEvent[] _pending = new QuoteEvent[256];
    private int _pendingCount;
    private long _lastReconcileTicks = long.MinValue / 2;
    private long _lastStatePollTicks;
    private long _lastHeardTicks = Environment.TickCount64; // bus thread: the last entry or heartbeat from the publisher
    private readonly BusChain _chain = new();
    private bool _positioned;
    private bool _catchingUp;
    private bool _streamReadInFlight;
    private BusEntryId _pageAfter;
    private byte[]? _breakingEntry;
    private long _lastStreamFailureTicks = long.MinValue / 2;

    // Handed between threads.
    private ConnectionMultiplexer? _redis;
    private volatile bool _subscribed;
    private Task _connecting = Task.CompletedTask;
    private bool _started;
    private CacheContents? _reconciled;
    private StreamRead? _streamRead;
    private int _catchUpWanted;
    private long _catchUpAgainAtTicks;
    private volatile bool _reconcileInFlight;
    private int _reconcilesWanted;
    private int _up;
    private long _published;
    private long _gaps;
    private long _quotesFromCache;
    private long _staleQuotes;
    private long _messagesOverflowed;
    private long _malformed;
    private long _entriesSkipped;
    private long _entriesLost;
    private long _catchUps;
    private long _epochChanges;

    public RedisQuoteSource(string endpoint, SymbolTable symbols, RingBuffer<QuoteEvent> ring, ILogger logger)
    {
        _endpoint = endpoint;
        // Parsed here so a malformed --redis fails the start, not a background task.
        _configuration = ConfigurationOptions.Parse(endpoint);
        _configuration.AbortOnConnectFail = false;
        _configuration.ConnectTimeout = ConnectTimeoutMs;
        // While disconnected, commands fail at once rather than wait in the client's backlog (memory, and hangs).
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // Retry every second rather than back off: the node serves stale quotes for as long as it is cut off.
        _configuration.ReconnectRetryPolicy = new LinearRetry(1_000);
        _configuration.ClientName = "pricefeed-node";
        _ring = ring;
        _logger = logger;
        _symbolCache = new SymbolCache(symbols);
        _lastSeq = new ulong[symbols.Capacity];
        _thread = new Thread(Run) { Name = "pricefeed-bus", IsBackground = true };
    }

    public string Name => "redis";

    /// <summary>The publisher's session, from the bus entries; empty until the first is read (an empty epoch
    /// recovers nothing, <see cref="IQuoteSource.Epoch"/>).</summary>
    public SourceEpoch Epoch { get; } = new();

    /// <summary>Stale while the bus is down (docs/protocol.md, "Feed status").</summary>
    public SourceStatus Status { get; } = new();

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Completes once the shared cache is loaded into the ring, or once it is clear Redis is not there
    /// (the node then serves what comes when it is).</summary>
    public Task Ready => _ready.Task;

    public Task Completion => _completion.Task;

    public bool IsUp => Volatile.Read(ref _up) == 1;

    public long Gaps => Interlocked.Read(ref _gaps);

    public long QuotesFromCache => Interlocked.Read(ref _quotesFromCache);

    public long StaleQuotes => Interlocked.Read(ref _staleQuotes);

    public long MessagesOverflowed => Interlocked.Read(ref _messagesOverflowed);

    public long Malformed => Interlocked.Read(ref _malformed);

    public long EntriesSkipped => Interlocked.Read(ref _entriesSkipped);

    public long EntriesLost => Interlocked.Read(ref _entriesLost);

    public long CatchUps => Interlocked.Read(ref _catchUps);

    public long EpochChanges => Interlocked.Read(ref _epochChanges);

    public void Start()
    {
        _started = true;
        _thread.Start();
        _connecting = ConnectAsync(_stopping.Token);
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_started)
        {
            await _completion.Task.ConfigureAwait(false);
        }

        // A connect still under way ends within its timeout; then the connection is known and can be closed.
        await _connecting.ConfigureAwait(false);
        if (Volatile.Read(ref _redis) is { } redis)
        {
            // Nothing is worth waiting for once the node stops: no command is left to complete.
            await redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _redis?.Dispose();
        if (!_thread.IsAlive)
        {
            _inbox.Dispose();
            _stopping.Dispose();
            _wake.Dispose();
        }
    }
}
