using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

/// <summary>Publishes the simulator's quotes on the Redis bus and keeps the shared last-value cache there.</summary>
/// <remarks>
/// <para>Two threads. The simulator's thread (<see cref="Publish"/>) copies quotes into the open batch and
/// the latest-per-symbol table and seals the batch when it holds <see cref="MaxQuotesPerMessage"/> quotes
/// or is <see cref="FlushIntervalMs"/> old; a sealed batch goes into a bounded queue with
/// <c>TryAdd</c>, so that thread never waits for the network. The writer thread takes batches, encodes
/// each as one bus entry (a <c>QuoteBatch</c> in a <c>BusEntry</c> naming the session's epoch, the entry's
/// stream id and the previous entry's), and sends, pipelined and without waiting for replies: <c>HSET</c> of
/// the batch's latest quote per symbol into <see cref="RedisBus.LastKey"/>, <c>XADD</c> of the entry to
/// <see cref="RedisBus.StreamKey"/> (trimming what is older than the bus history), then <c>PUBLISH</c> of the same
/// bytes on <see cref="RedisBus.QuotesChannel"/> (in that order: see <see cref="RedisBus"/>). It also seals a
/// batch that has waited a flush interval while the simulator was quiet.</para>
/// <para>Redis down, slow, or the queue full: the batch's message is dropped and counted, never queued
/// without bound. The latest-per-symbol table still has every quote, and the writer sends all of it
/// again, into the hash and on the channel (a <em>resync</em>), as soon as it can send, so the shared
/// cache ends exact and nodes catch up even when messages were lost. A Redis restart loses the hash
/// (the bus keeps no state on disk), so a reconnect resyncs too.</para>
/// <para>Memory is bounded: <see cref="QueueCapacity"/> batches, <see cref="MaxInFlight"/> unanswered
/// messages, one latest quote per symbol. The client is told to fail fast while disconnected rather
/// than keep commands in its own backlog.</para>
/// <para>One type in partial files by concern: this one holds the state (each field with the thread that owns
/// it), the counters and disposal; <c>RedisQuoteSink.Connection.cs</c> the connection, session start and
/// reconnects; <c>RedisQuoteSink.Batching.cs</c> the simulator thread's side (batches, sealing, the queue);
/// <c>RedisQuoteSink.Writer.cs</c> the writer thread, pipelined sends and their replies;
/// <c>RedisQuoteSink.Encoding.cs</c> a batch as one bus entry and its hash entries;
/// <c>RedisQuoteSink.Resync.cs</c> sending the whole latest-per-symbol table again.</para>
/// </remarks>
internal sealed partial class RedisQuoteSink : IQuoteSink, IDisposable
{
    /// <summary>512 quotes: about 50 KB per message (under the 85 KB large-object threshold), 2.5 ms at 200,000 quotes/s.</summary>
    public const int MaxQuotesPerMessage = 512;

    /// <summary>A quote waits at most about this long for its batch to be sealed.</summary>
    public const int FlushIntervalMs = 1;

    /// <summary>256 batches: a quarter of a second or more of quotes waiting for the writer.</summary>
    public const int QueueCapacity = 256;

    /// <summary>Messages sent and not answered yet; past it Redis is not keeping up and messages are dropped.</summary>
    public const int MaxInFlight = 128;

    private static readonly long s_flushIntervalTicks = Stopwatch.Frequency * FlushIntervalMs / 1000;
    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);

    private readonly IReadOnlyList<string> _symbols;
    private readonly RedisValue[] _symbolValues;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly TextWriter _log;
    private readonly long _busHistoryMs;
    private readonly BlockingCollection<Batch> _queue = new(QueueCapacity);
    private readonly ConcurrentQueue<Batch> _free = new();
    private readonly Thread _writer;

    // Guarded by _lock: the simulator's thread appends, the writer seals a batch that waited too long.
    private readonly Lock _lock = new();
    private readonly SimulatedQuote[] _latest;
    private Batch _open = new();
    private long _sealedBatches;
    private bool _closed;

    // Writer thread only.
    private byte[]? _heartbeat;
    private readonly byte[] _scratch = new byte[MaxQuotesPerMessage * MaxEntryBytes];
    private readonly Quote _quote = new();
    private readonly int[] _entryOfSymbol;
    private readonly int[] _touched = new int[MaxQuotesPerMessage];
    private readonly (int Start, int Length)[] _entries = new (int, int)[MaxQuotesPerMessage];
    private readonly byte[] _header = new byte[MaxHeaderBytes];
    private SimulatedQuote[] _resyncCopy = [];
    private BusEntryId _lastId;
    private BusEntryId _previousInEpoch;
    private long _coveredThroughBatch;

    // True until a session has started cleanly, and after anything that may have left the hash or the nodes behind.
    private volatile bool _resyncNeeded = true;
    private int _connectedState = 1;
    private int _inFlight;
    private long _messagesPublished;
    private long _quotesPublished;
    private long _batchesDropped;
    private long _quotesDropped;
    private long _resyncs;

    private RedisQuoteSink(ConnectionMultiplexer redis, IReadOnlyList<string> symbols, TimeSpan busHistory, TextWriter log)
    {
        Epoch = NewEpoch();
        _busHistoryMs = (long)busHistory.TotalMilliseconds;
        _redis = redis;
        _database = redis.GetDatabase();
        _symbols = symbols;
        _symbolValues = [.. symbols.Select(static s => (RedisValue)s)];
        _log = log;
        _latest = new SimulatedQuote[symbols.Count];
        _entryOfSymbol = new int[symbols.Count];
        Array.Fill(_entryOfSymbol, -1);
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        _writer = new Thread(RunWriter) { Name = "pricefeed-redis-writer", IsBackground = true };
    }

    /// <summary>This session's name on the bus: the seq space of its quotes (docs/protocol.md, "Epoch").</summary>
    public string Epoch { get; }

    /// <summary>Messages Redis accepted.</summary>
    public long MessagesPublished => Interlocked.Read(ref _messagesPublished);

    /// <summary>Quotes in the messages Redis accepted.</summary>
    public long QuotesPublished => Interlocked.Read(ref _quotesPublished);

    /// <summary>Batches whose message was dropped (queue full, Redis down or behind, or a failed send).</summary>
    public long BatchesDropped => Interlocked.Read(ref _batchesDropped);

    public long QuotesDropped => Interlocked.Read(ref _quotesDropped);

    /// <summary>Times the whole latest-per-symbol table was sent again (into the hash and on the channel).</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>One line for the command line's summary.</summary>
    public string Summary() => string.Create(
        CultureInfo.InvariantCulture,
        $"redis: {QuotesPublished:N0} quotes in {MessagesPublished:N0} messages (mean {(MessagesPublished == 0 ? 0 : (double)QuotesPublished / MessagesPublished):F1}), dropped {QuotesDropped:N0} quotes in {BatchesDropped:N0} batches, {Resyncs:N0} cache resyncs");

    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            if (!_queue.IsAddingCompleted)
            {
                _queue.CompleteAdding();
            }
        }

        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        _redis.Dispose();
        // The writer ends once the queue is completed and empty; it never waits on the network.
        if (_writer.Join(TimeSpan.FromSeconds(1)))
        {
            _queue.Dispose();
        }
    }

    /// <summary><c>pub-</c>, the start's Unix milliseconds in base 36, and 32 random bits in hex: unique per session.</summary>
    private static string NewEpoch()
    {
        const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        Span<char> base36 = stackalloc char[16];
        var at = base36.Length;
        for (var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(); ms > 0 || at == base36.Length; ms /= 36)
        {
            base36[--at] = Digits[(int)(ms % 36)];
        }

        var random = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        return string.Create(CultureInfo.InvariantCulture, $"pub-{base36[at..]}-{random:x8}");
    }

    private void CountDropped(int quotes)
    {
        Interlocked.Increment(ref _batchesDropped);
        Interlocked.Add(ref _quotesDropped, quotes);
    }
}
