using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
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
/// each as one <c>QuoteBatch</c>, and sends, pipelined and without waiting for replies: <c>HSET</c> of
/// the batch's latest quote per symbol into <see cref="RedisBus.LastKey"/>, then <c>PUBLISH</c> on
/// <see cref="RedisBus.QuotesChannel"/> (in that order: see <see cref="RedisBus"/>). It also seals a
/// batch that has waited a flush interval while the simulator was quiet.</para>
/// <para>Redis down, slow, or the queue full: the batch's message is dropped and counted, never queued
/// without bound. The latest-per-symbol table still has every quote, and the writer sends all of it
/// again, into the hash and on the channel (a <em>resync</em>), as soon as it can send, so the shared
/// cache ends exact and nodes catch up even when messages were lost. A Redis restart loses the hash
/// (the bus keeps no state on disk), so a reconnect resyncs too.</para>
/// <para>Memory is bounded: <see cref="QueueCapacity"/> batches, <see cref="MaxInFlight"/> unanswered
/// messages, one latest quote per symbol. The client is told to fail fast while disconnected rather
/// than keep commands in its own backlog.</para>
/// </remarks>
internal sealed class RedisQuoteSink : IQuoteSink, IDisposable
{
    /// <summary>512 quotes: about 50 KB per message (under the 85 KB large-object threshold), 2.5 ms at 200,000 quotes/s.</summary>
    public const int MaxQuotesPerMessage = 512;

    /// <summary>A quote waits at most about this long for its batch to be sealed.</summary>
    public const int FlushIntervalMs = 1;

    /// <summary>256 batches: a quarter of a second or more of quotes waiting for the writer.</summary>
    public const int QueueCapacity = 256;

    /// <summary>Messages sent and not answered yet; past it Redis is not keeping up and messages are dropped.</summary>
    public const int MaxInFlight = 128;

    /// <summary>Bounds the wait for Redis at start-up; the client keeps reconnecting in the background after it.</summary>
    private const int ConnectTimeoutMs = 5_000;

    /// <summary>At the end of a run with a resync pending, how long to wait for Redis to come back.</summary>
    private const int EndResyncWaitMs = 10_000;

    // Quote bytes: tag and 2-byte length, symbol (2 + 32), four varints (4 x 11), six doubles (6 x 9).
    private const int MaxEntryBytes = 3 + 2 + 32 + (4 * 11) + (6 * 9);

    private static readonly long s_flushIntervalTicks = Stopwatch.Frequency * FlushIntervalMs / 1000;
    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);

    private readonly IReadOnlyList<string> _symbols;
    private readonly RedisValue[] _symbolValues;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly TextWriter _log;
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
    private readonly byte[] _scratch = new byte[MaxQuotesPerMessage * MaxEntryBytes];
    private readonly Quote _quote = new();
    private readonly int[] _entryOfSymbol;
    private readonly int[] _touched = new int[MaxQuotesPerMessage];
    private readonly (int Start, int Length)[] _entries = new (int, int)[MaxQuotesPerMessage];
    private SimulatedQuote[] _resyncCopy = [];
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

    private RedisQuoteSink(ConnectionMultiplexer redis, IReadOnlyList<string> symbols, TextWriter log)
    {
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

    /// <summary>Messages Redis accepted.</summary>
    public long MessagesPublished => Interlocked.Read(ref _messagesPublished);

    /// <summary>Quotes in the messages Redis accepted.</summary>
    public long QuotesPublished => Interlocked.Read(ref _quotesPublished);

    /// <summary>Batches whose message was dropped (queue full, Redis down or behind, or a failed send).</summary>
    public long BatchesDropped => Interlocked.Read(ref _batchesDropped);

    public long QuotesDropped => Interlocked.Read(ref _quotesDropped);

    /// <summary>Times the whole latest-per-symbol table was sent again (into the hash and on the channel).</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Connects to <paramref name="endpoint"/> (HOST:PORT) and starts a session: the bus keys are cleared
    /// and the symbol set written. Waits at most the connect timeout; if Redis is not there yet, the session
    /// starts anyway and the first resync after it comes writes the symbols and the cache.</summary>
    public static async Task<RedisQuoteSink> StartAsync(string endpoint, IReadOnlyList<string> symbols, TextWriter log)
    {
        var configuration = ConfigurationOptions.Parse(endpoint);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = ConnectTimeoutMs;
        // Commands issued while disconnected fail at once instead of waiting in the client's unbounded backlog.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // Retry every second: a bus restarted on its host is back within seconds, and every second down is a resync's worth of drops.
        configuration.ReconnectRetryPolicy = new LinearRetry(1_000);
        configuration.ClientName = "pricefeed-publisher";
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var sink = new RedisQuoteSink(redis, symbols, log);
        log.WriteLine($"redis: publishing on {RedisBus.QuotesChannel}, latest quotes in {RedisBus.LastKey}, at {endpoint}");
        if (redis.IsConnected)
        {
            try
            {
                // A new session: seq starts again at 1, so the previous session's latest quotes must not linger.
                await sink._database.KeyDeleteAsync([RedisBus.LastKey, RedisBus.SymbolsKey]).ConfigureAwait(false);
                await sink._database.SetAddAsync(RedisBus.SymbolsKey, sink._symbolValues).ConfigureAwait(false);
                // Nothing to resync yet: a resync now would only send the first quotes ahead of their own batch.
                sink._resyncNeeded = false;
            }
            catch (RedisException ex)
            {
                log.WriteLine($"redis: could not start the session cleanly ({ex.Message}); the first resync writes the keys");
            }
        }
        else
        {
            Interlocked.Exchange(ref sink._connectedState, 0);
            log.WriteLine($"redis: {endpoint} not reachable yet; publishing starts when it is");
        }

        sink._writer.Start();
        return sink;
    }

    /// <inheritdoc />
    /// <remarks>Simulator thread. Takes the lock the writer takes once a flush interval; never waits for the network.</remarks>
    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        lock (_lock)
        {
            foreach (ref readonly var quote in batch)
            {
                _latest[quote.Instrument] = quote;
                if (_open.Count == 0)
                {
                    _open.OpenedAt = Stopwatch.GetTimestamp();
                }

                _open.Quotes[_open.Count++] = quote;
                if (_open.Count == MaxQuotesPerMessage)
                {
                    SealLocked();
                }
            }

            if (_open.Count > 0 && Stopwatch.GetTimestamp() - _open.OpenedAt >= s_flushIntervalTicks)
            {
                SealLocked();
            }
        }
    }

    /// <summary>After the last <see cref="Publish"/>: sends what is left, resyncs the hash if anything was dropped,
    /// and waits (at most <paramref name="timeout"/>) for Redis to answer everything.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_open.Count > 0)
            {
                SealLocked();
            }

            _closed = true;
            _queue.CompleteAdding();
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (_writer.IsAlive || Volatile.Read(ref _inFlight) > 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                _log.WriteLine($"redis: {Volatile.Read(ref _inFlight)} messages still unanswered after {timeout.TotalSeconds:0} s; giving up on them");
                return;
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

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

    private void SealLocked()
    {
        var sealedBatch = _open;
        sealedBatch.Number = ++_sealedBatches;
        if (_closed || !_queue.TryAdd(sealedBatch))
        {
            // The writer is behind: this batch's message goes, its quotes stay in _latest for the next resync.
            CountDropped(sealedBatch.Count);
            sealedBatch.Count = 0;
            return;
        }

        _open = _free.TryDequeue(out var recycled) ? recycled : new Batch();
    }

    private void SealIfDue()
    {
        lock (_lock)
        {
            if (!_closed && _open.Count > 0 && Stopwatch.GetTimestamp() - _open.OpenedAt >= s_flushIntervalTicks)
            {
                SealLocked();
            }
        }
    }

    private void RunWriter()
    {
        while (true)
        {
            if (_queue.TryTake(out var batch, FlushIntervalMs))
            {
                Write(batch);
            }
            else if (_queue.IsCompleted)
            {
                break;
            }

            SealIfDue();
        }

        // Whatever was dropped near the end must still reach the hash and the nodes: wait a little for Redis.
        var deadline = Environment.TickCount64 + EndResyncWaitMs;
        while (_resyncNeeded && !CanSend() && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(50);
        }

        if (_resyncNeeded && CanSend())
        {
            Resync();
        }
    }

    private void Write(Batch batch)
    {
        if (_resyncNeeded && CanSend())
        {
            Resync();
        }

        if (!CanSend())
        {
            CountDropped(batch.Count);
            _resyncNeeded = true;
            Recycle(batch);
            return;
        }

        var quoteCount = batch.Count;
        // Batches the last resync already covered must not write older quotes over the ones it wrote.
        var (message, hash) = Encode(batch, writeHash: batch.Number > _coveredThroughBatch);
        Recycle(batch);
        Send(quoteCount, () =>
        (
            // Queued on one connection in this order: the hash is written before the message is published.
            hash.Length > 0 ? _database.HashSetAsync(RedisBus.LastKey, hash) : Task.CompletedTask,
            _database.PublishAsync(s_channel, message)
        ));
    }

    /// <summary>Encodes <paramref name="batch"/> as one <c>QuoteBatch</c> and the hash entries of its latest quote per symbol.</summary>
    /// <remarks>The hash values are slices of the message: each entry of a <c>QuoteBatch</c> is a tag, a length and the
    /// <c>Quote</c>'s bytes, and those bytes are what the hash stores. One array per message; none is reused, because
    /// the client may still hold a command's bytes after its task has failed.</remarks>
    private (ReadOnlyMemory<byte> Message, HashEntry[] Hash) Encode(Batch batch, bool writeHash)
    {
        var output = new CodedOutputStream(_scratch);
        var touched = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            ref readonly var quote = ref batch.Quotes[i];
            output.WriteTag(QuoteBatch.QuotesFieldNumber, WireFormat.WireType.LengthDelimited);
            Fill(_quote, quote);
            output.WriteLength(_quote.CalculateSize());
            var start = (int)output.Position;
            _quote.WriteTo(output);
            var slot = _entryOfSymbol[quote.Instrument];
            if (slot < 0)
            {
                slot = touched++;
                _touched[slot] = quote.Instrument;
                _entryOfSymbol[quote.Instrument] = slot;
            }

            _entries[slot] = (start, (int)output.Position - start);
        }

        var message = _scratch.AsSpan(0, (int)output.Position).ToArray();
        var hash = writeHash ? new HashEntry[touched] : [];
        for (var i = 0; i < touched; i++)
        {
            var instrument = _touched[i];
            if (writeHash)
            {
                var (start, length) = _entries[i];
                hash[i] = new HashEntry(_symbolValues[instrument], message.AsMemory(start, length));
            }

            _entryOfSymbol[instrument] = -1;
        }

        return (message, hash);
    }

    /// <summary>Sends the whole latest-per-symbol table: the symbol set, then every symbol's latest quote into the
    /// hash and on the channel, as ordinary batches.</summary>
    /// <remarks>Publishing the table too, not only writing the hash, lets nodes heal a loss that no later quote would
    /// reveal (the last quote of a symbol lost, then the source quiet): they drop what they already have as stale.</remarks>
    private void Resync()
    {
        _resyncNeeded = false;
        long coveredThrough;
        lock (_lock)
        {
            if (_resyncCopy.Length != _latest.Length)
            {
                _resyncCopy = new SimulatedQuote[_latest.Length];
            }

            _latest.CopyTo(_resyncCopy, 0);
            coveredThrough = _sealedBatches;
        }

        Interlocked.Increment(ref _resyncs);
        Send(quotes: 0, () => (_database.SetAddAsync(RedisBus.SymbolsKey, _symbolValues), Task.CompletedTask));
        var chunk = new Batch();
        foreach (ref readonly var quote in _resyncCopy.AsSpan())
        {
            if (quote.Seq != 0)
            {
                chunk.Quotes[chunk.Count++] = quote;
            }

            if (chunk.Count == MaxQuotesPerMessage)
            {
                SendResyncChunk(chunk);
            }
        }

        SendResyncChunk(chunk);
        _coveredThroughBatch = coveredThrough;
    }

    private void SendResyncChunk(Batch chunk)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        var (message, hash) = Encode(chunk, writeHash: true);
        chunk.Count = 0;
        Send(quotes: 0, () => (_database.HashSetAsync(RedisBus.LastKey, hash), _database.PublishAsync(s_channel, message)));
    }

    /// <summary>Issues two commands without waiting; their replies are awaited off this thread.</summary>
    /// <param name="quotes">Simulator quotes in the message, counted as published once Redis answers; 0 for a resync.</param>
    private void Send(int quotes, Func<(Task First, Task Last)> issue)
    {
        Task first, last;
        try
        {
            (first, last) = issue();
        }
        catch (RedisException)
        {
            // Disconnected between the check and the send: the client fails fast rather than queue.
            OnSendFailed(quotes);
            return;
        }

        Interlocked.Increment(ref _inFlight);
        _ = AwaitRepliesAsync(first, last, quotes);
    }

    private async Task AwaitRepliesAsync(Task first, Task last, int quotes)
    {
        try
        {
            await first.ConfigureAwait(false);
            await last.ConfigureAwait(false);
            if (quotes > 0)
            {
                Interlocked.Increment(ref _messagesPublished);
                Interlocked.Add(ref _quotesPublished, quotes);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            OnSendFailed(quotes);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void OnSendFailed(int quotes)
    {
        // The message may or may not have gone out, and the hash may have missed it: rewrite the hash when Redis is back.
        if (quotes > 0)
        {
            CountDropped(quotes);
        }

        _resyncNeeded = true;
    }

    private bool CanSend() => _redis.IsConnected && Volatile.Read(ref _inFlight) < MaxInFlight;

    private void CountDropped(int quotes)
    {
        Interlocked.Increment(ref _batchesDropped);
        Interlocked.Add(ref _quotesDropped, quotes);
    }

    private void Recycle(Batch batch)
    {
        batch.Count = 0;
        _free.Enqueue(batch);
    }

    private void Fill(Quote target, in SimulatedQuote quote)
    {
        target.Symbol = _symbols[quote.Instrument];
        target.Seq = quote.Seq;
        target.SourceTimeNs = quote.SourceTimeNs;
        target.PublishTimeNs = 0; // each node stamps the time it takes the quote into its ring
        target.Bid = quote.Bid;
        target.Ask = quote.Ask;
        target.BidSize = quote.BidSize;
        target.AskSize = quote.AskSize;
        target.Last = quote.Last;
        target.LastSize = quote.LastSize;
        target.Volume = quote.Volume;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        _resyncNeeded = true;
        if (Interlocked.Exchange(ref _connectedState, 0) == 1)
        {
            _log.WriteLine($"redis: connection to {e.EndPoint} lost ({e.FailureType}); dropping messages, keeping the latest quote of each symbol");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // A Redis that restarted has an empty hash: write the whole cache again.
        _resyncNeeded = true;
        if (_redis.IsConnected && Interlocked.Exchange(ref _connectedState, 1) == 0)
        {
            _log.WriteLine($"redis: connected to {e.EndPoint}; rewriting the last-value cache");
        }
    }

    /// <summary>Quotes sealed together into one message; recycled once encoded.</summary>
    private sealed class Batch
    {
        public readonly SimulatedQuote[] Quotes = new SimulatedQuote[MaxQuotesPerMessage];
        public int Count;
        public long OpenedAt;
        public long Number;
    }
}
