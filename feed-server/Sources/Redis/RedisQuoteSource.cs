using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using StackExchange.Redis;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>Feeds the ring from the Redis bus: quote batches from the channel, healed from the shared last-value cache.</summary>
/// <remarks>
/// <para>Threads. StackExchange.Redis delivers messages through a <see cref="ChannelMessageQueue"/>, whose
/// handler runs for one message at a time, in order; it only copies the bytes into a bounded inbox.
/// One dedicated thread, the bus thread, is the ring's single producer: it decodes each message with
/// <see cref="QuoteWireReader"/> (no allocation per quote: symbols map to ids through
/// <see cref="SymbolCache"/>), checks seq, and publishes a batch into the ring. Reads of the cache run
/// asynchronously and hand their result to the bus thread, which never waits on the network.</para>
/// <para>Seq on arrival, per symbol: at or below the last published, dropped (a duplicate or stale message:
/// clients must see seq strictly increase); above last + 1, a gap (pub/sub is at most once): counted, the
/// quote published, and the whole cache read again (a <em>reconcile</em>) because the lost message may
/// have carried other symbols' latest quotes that no later jump would reveal. Every node forwards the
/// source's seq, so all nodes serve the same quotes with the same seq.</para>
/// <para>Reconciles (<c>HGETALL</c> of <see cref="RedisBus.LastKey"/>) happen before serving (<see cref="Ready"/>), after
/// every reconnect (twice, the second once the resubscription has settled), after a gap or an inbox
/// overflow, at most one at a time and one per <see cref="ReconcileIntervalMs"/>.</para>
/// <para>Redis down: the node keeps serving from its own last-value cache, <see cref="IsUp"/> turns false
/// (logged once per transition), and nothing grows: the client fails fast instead of queueing, the
/// inbox is bounded. Start-up waits at most the connect timeout for a Redis that is not there.</para>
/// <para>One type in partial files by concern: this one holds the state and the life cycle;
/// <c>.Connection</c> the connection and its state, <c>.BusThread</c> decoding and publishing into the ring,
/// <c>.Reconcile</c> reading the shared cache.</para>
/// </remarks>
internal sealed partial class RedisQuoteSource : IQuoteSource, IBusStatus
{
    /// <summary>4,096 messages: seconds of the publisher's 1 ms batches; past it messages are dropped and healed.</summary>
    public const int InboxCapacity = 4_096;

    /// <summary>At most one cache reload per half second, however many gaps a burst of losses shows.</summary>
    public const int ReconcileIntervalMs = 500;

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

    // Bus thread only.
    private readonly ulong[] _lastSeq;
    private readonly QuoteEvent[] _pending = new QuoteEvent[256];
    private int _pendingCount;
    private long _lastReconcileTicks = long.MinValue / 2;
    private long _lastStatePollTicks;

    // Handed between threads.
    private ConnectionMultiplexer? _redis;
    private volatile bool _subscribed;
    private Task _connecting = Task.CompletedTask;
    private bool _started;
    private CacheContents? _reconciled;
    private volatile bool _reconcileInFlight;
    private int _reconcilesWanted;
    private int _up;
    private long _published;
    private long _gaps;
    private long _quotesFromCache;
    private long _staleQuotes;
    private long _messagesOverflowed;
    private long _malformed;

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

    /// <summary>Empty: the publisher does not name its session on the bus yet, so no client can resume here (an
    /// empty epoch recovers nothing, <see cref="IQuoteSource.Epoch"/>).</summary>
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
        }
    }
}
