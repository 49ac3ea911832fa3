using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Wire;
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
/// </remarks>
internal sealed class RedisQuoteSource : IQuoteSource, IBusStatus
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

    /// <summary>Connects (waiting at most the connect timeout), then subscribes, retrying until Redis is there.</summary>
    private async Task ConnectAsync(CancellationToken token)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
        redis.ConnectionRestored += OnConnectionRestored;
        Volatile.Write(ref _redis, redis);
        var warned = false;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // Subscribe before the first reconcile: a message published meanwhile waits in the inbox, it is not lost.
                var messages = await redis.GetSubscriber().SubscribeAsync(s_channel).ConfigureAwait(false);
                messages.OnMessage(OnMessage);
                _subscribed = true;
                Interlocked.Exchange(ref _reconcilesWanted, 1);
                return;
            }
            catch (RedisException ex)
            {
                if (!warned)
                {
                    warned = true;
                    _logger.LogWarning(
                        "Redis bus at {Endpoint} not reachable ({Message}); serving without the shared cache until it is",
                        _endpoint, ex.Message);
                    // Serve rather than wait: the cache is loaded when Redis comes.
                    _ready.TrySetResult();
                }
            }

            try
            {
                await Task.Delay(SubscribeRetryMs, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs on the client's message loop, one message at a time; must not block it.</summary>
    private void OnMessage(ChannelMessage message)
    {
        byte[]? bytes = message.Message;
        if (bytes is null)
        {
            return;
        }

        if (!_inbox.TryAdd(bytes))
        {
            // The bus thread is behind (the ring is full): drop, and heal from the cache when it catches up.
            Interlocked.Increment(ref _messagesOverflowed);
            WantReconcile();
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Whatever was published while the connection was down is lost to this node: reload the cache now,
        // and once more after the resubscription has certainly gone through.
        Interlocked.Exchange(ref _reconcilesWanted, 2);
    }

    private void WantReconcile() => Interlocked.CompareExchange(ref _reconcilesWanted, 1, 0);

    private void Run()
    {
        try
        {
            var token = _stopping.Token;
            while (!token.IsCancellationRequested)
            {
                PollState();
                if (Interlocked.Exchange(ref _reconciled, null) is { } contents)
                {
                    ApplyCache(contents);
                }

                StartReconcileIfDue();
                if (_inbox.TryTake(out var message, StatePollMs, token))
                {
                    ApplyMessage(message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            _ready.TrySetResult();
            _completion.TrySetResult();
        }
    }

    private void PollState()
    {
        var now = Environment.TickCount64;
        if (now - _lastStatePollTicks < StatePollMs)
        {
            return;
        }

        _lastStatePollTicks = now;
        var redis = Volatile.Read(ref _redis);
        var up = _subscribed && redis is not null && redis.IsConnected && redis.GetSubscriber().IsConnected(s_channel);
        if (Interlocked.Exchange(ref _up, up ? 1 : 0) == (up ? 1 : 0))
        {
            return;
        }

        if (up)
        {
            _logger.LogInformation("Redis bus up at {Endpoint}: subscribed to {Channel}", _endpoint, RedisBus.QuotesChannel);
        }
        else
        {
            _logger.LogWarning(
                "Redis bus down at {Endpoint}: serving clients from this node's cache; reloading the shared cache when it is back",
                _endpoint);
        }
    }

    private void StartReconcileIfDue()
    {
        var redis = Volatile.Read(ref _redis);
        var now = Environment.TickCount64;
        if (redis is null || _reconcileInFlight || Volatile.Read(ref _reconcilesWanted) == 0 || !IsUp
            || now - _lastReconcileTicks < ReconcileIntervalMs)
        {
            return;
        }

        Interlocked.Decrement(ref _reconcilesWanted);
        _lastReconcileTicks = now;
        _reconcileInFlight = true;
        _ = ReconcileAsync(redis.GetDatabase());
    }

    /// <summary>Reads the symbol set and the whole hash, and hands them to the bus thread.</summary>
    private async Task ReconcileAsync(IDatabase database)
    {
        try
        {
            var symbols = database.SetMembersAsync(RedisBus.SymbolsKey);
            var latest = database.HashGetAllAsync(RedisBus.LastKey);
            Volatile.Write(ref _reconciled, new CacheContents(await symbols.ConfigureAwait(false), await latest.ConfigureAwait(false)));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogWarning("Reading the shared cache from Redis failed ({Message}); trying again", ex.Message);
            WantReconcile();
            _reconcileInFlight = false;
            // Serve rather than wait: what the cache held comes with the next reconcile.
            _ready.TrySetResult();
        }
    }

    private void ApplyCache(CacheContents contents)
    {
        // Symbols that have no quote yet still get an id, so clients can subscribe to them before their first quote.
        // Byte order, so that every node lists them alike in /api/symbols.
        foreach (var symbol in contents.Symbols.Select(static s => (byte[]?)s ?? []).Order(s_byteOrder))
        {
            // Invalid names are refused inside, as they are in messages.
            _symbolCache.TryGetId(symbol, out _);
        }

        var publishTimeNs = UnixClock.NowNs();
        foreach (var entry in contents.Latest)
        {
            ReadOnlyMemory<byte> bytes = entry.Value;
            if (!TryDecode(bytes.Span, out var quote))
            {
                continue;
            }

            if (Admit(quote.SymbolId, quote.Seq, fromCache: true))
            {
                Interlocked.Increment(ref _quotesFromCache);
                Append(quote, publishTimeNs);
            }
        }

        FlushPending();
        _reconcileInFlight = false;
        _ready.TrySetResult();
    }

    private void ApplyMessage(byte[] message)
    {
        var publishTimeNs = UnixClock.NowNs();
        var position = 0;
        while (true)
        {
            var result = QuoteWireReader.NextBatchEntry(message, ref position, out var bytes);
            if (result == WireReadResult.End)
            {
                break;
            }

            if (result == WireReadResult.Malformed)
            {
                // The quotes read before the damage are good; the rest of the message is not readable.
                Interlocked.Increment(ref _malformed);
                break;
            }

            if (TryDecode(bytes, out var quote) && Admit(quote.SymbolId, quote.Seq, fromCache: false))
            {
                Append(quote, publishTimeNs);
            }
        }

        FlushPending();
    }

    private bool TryDecode(ReadOnlySpan<byte> bytes, out QuoteEvent quote)
    {
        if (QuoteWireReader.TryReadQuote(bytes, out quote, out var symbol) && _symbolCache.TryGetId(symbol, out var id))
        {
            quote.SymbolId = id;
            return true;
        }

        Interlocked.Increment(ref _malformed);
        return false;
    }

    /// <summary>The seq rule: only newer quotes go into the ring; a jump is a gap.</summary>
    private bool Admit(int symbolId, ulong seq, bool fromCache)
    {
        ref var last = ref _lastSeq[symbolId];
        if (seq <= last)
        {
            // From the cache, an entry the node already has is the normal case, not worth counting.
            if (!fromCache)
            {
                Interlocked.Increment(ref _staleQuotes);
            }

            return false;
        }

        // A symbol's first quote may start anywhere: a node joins mid-session. Quotes from the cache skip by design.
        if (!fromCache && last != 0 && seq != last + 1)
        {
            Interlocked.Increment(ref _gaps);
            WantReconcile();
        }

        last = seq;
        return true;
    }

    private void Append(in QuoteEvent quote, long publishTimeNs)
    {
        ref var slot = ref _pending[_pendingCount++];
        slot = quote;
        slot.PublishTimeNs = publishTimeNs;
        if (_pendingCount == _pending.Length)
        {
            FlushPending();
        }
    }

    /// <summary>Claims the ring slots for the pending quotes, fills them in place and publishes them at once.</summary>
    private void FlushPending()
    {
        var pending = _pending.AsSpan(0, _pendingCount);
        while (!pending.IsEmpty)
        {
            // The ring may be smaller than the pending batch; claim what fits in one go.
            var n = Math.Min(pending.Length, _ring.BufferSize);
            var hi = _ring.Next(n);
            var lo = hi - n + 1;
            for (var i = 0; i < n; i++)
            {
                _ring[lo + i] = pending[i];
            }

            _ring.Publish(lo, hi);
            pending = pending[n..];
        }

        Interlocked.Add(ref _published, _pendingCount);
        _pendingCount = 0;
    }

    /// <summary>What one reconcile read: the symbol set and the hash of latest quotes.</summary>
    private sealed record CacheContents(RedisValue[] Symbols, HashEntry[] Latest);
}
