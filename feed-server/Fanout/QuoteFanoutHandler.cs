using PriceFeed.Server.Bars;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

/// <summary>The ring's consumer: takes each quote once and offers it to every client subscribed to its symbol.</summary>
/// <remarks>
/// <para>Runs on the single fan-out thread of a <see cref="BatchEventProcessor{T}"/>; nothing else
/// calls it. Per quote: encode once per subprotocol in use (JSON only while a JSON client is
/// subscribed), store in the symbol's history for resume (when on) and as the symbol's latest,
/// then (if anyone subscribes to the symbol) in the log of recent quotes that the clients' FIFOs
/// point into, and offer to each subscription in the symbol's immutable array. A session that
/// needs draining is noted once and woken at the end of the ring's batch, so a burst costs one
/// wake-up per client, not one per quote.</para>
/// <para>No lock and no allocation per quote (bench/PriceFeed.Benchmarks/Fanout proves it).</para>
/// </remarks>
internal sealed class QuoteFanoutHandler : IEventHandler<QuoteEvent>
{
    private readonly LastValueCache _cache;
    private readonly QuoteLog _log;
    private readonly SymbolTable _symbols;
    private readonly SubscriptionRegistry _registry;
    private readonly SymbolHistory? _history;
    private readonly SourceEpoch? _epoch;
    private readonly SourceStatus? _status;
    private readonly SubscriptionService? _sessions;
    private readonly BarBook? _bars;
    private readonly BarRegistry? _barRegistry;
    private readonly byte[] _entry = new byte[QuoteEncoder.MaxEntryBytes];
    private readonly byte[] _jsonEntry = new byte[QuoteJsonEncoder.MaxEntryBytes];
    private ClientSession[] _toWake = new ClientSession[256];
    private int _toWakeCount;
    private long _batch = 1; // ClientSession.WakeBatch starts at 0: no session is noted in the first batch yet
    private long _processed;

    /// <param name="history">The updates kept for resume; null when resume is off (<c>--resume-depth 0</c>).</param>
    /// <param name="epoch">The source's epoch, made current at each <see cref="QuoteEvent.EpochChangeMarker"/>.</param>
    /// <param name="sessions">The open sessions, told of each change of epoch and of status.</param>
    /// <param name="status">The source's reachability, made current at each <see cref="QuoteEvent.StatusChangeMarker"/>.</param>
    /// <param name="bars">The bars computed from the quotes; null when the server computes none.</param>
    /// <param name="barRegistry">Who subscribes to which bars.</param>
    public QuoteFanoutHandler(
        LastValueCache cache, QuoteLog log, SymbolTable symbols, SubscriptionRegistry registry, SymbolHistory? history = null,
        SourceEpoch? epoch = null, SubscriptionService? sessions = null, SourceStatus? status = null,
        BarBook? bars = null, BarRegistry? barRegistry = null)
    {
        _bars = bars;
        _barRegistry = barRegistry;
        _status = status;
        _history = history;
        _epoch = epoch;
        _sessions = sessions;
        _cache = cache;
        _log = log;
        _symbols = symbols;
        _registry = registry;
    }

    /// <summary>Quotes processed so far; readable from any thread.</summary>
    public long Processed => Volatile.Read(ref _processed);

    public void OnEvent(ref QuoteEvent data, long sequence, bool endOfBatch)
    {
        try
        {
            Process(ref data, sequence);
        }
        finally
        {
            // Also when this quote failed: the updates offered earlier in the batch must not wait for another batch.
            if (endOfBatch)
            {
                WakeSessions();
            }
        }
    }

    private void Process(ref QuoteEvent data, long sequence)
    {
        if (data.IsMarker)
        {
            if (data.IsEpochChange)
            {
                ChangeEpoch();
            }
            else
            {
                ChangeStatus();
            }

            return;
        }

        var symbol = _symbols.GetUtf8Name(data.SymbolId);
        var entryLength = QuoteEncoder.WriteBatchEntry(data, symbol, _entry);
        var jsonLength = _registry.JsonSessions > 0 ? QuoteJsonEncoder.WriteEntry(data, symbol, _jsonEntry) : 0;
        // The history before the fence below, like the cache: a resume that reads it after its registry change
        // either finds this quote there or has it offered (SymbolHistory.TryCollect).
        _history?.Append(data, _entry.AsSpan(0, entryLength));
        _cache.Write(data, _entry.AsSpan(0, entryLength), _jsonEntry.AsSpan(0, jsonLength));
        // The bars too, before the fence: a bar subscribe reads the book after its registry change, as a quote subscribe reads the cache.
        var barsChanged = _bars?.OnQuote(data) ?? 0;

        // The cache first, then a full fence, then the subscribers; a subscribe changes the registry, then
        // fences (SubscriptionRegistry.Change), then reads its snapshot from the cache. So either this quote
        // is offered to the new subscription or the snapshot holds it: a subscribe landing while the quote
        // is in flight cannot miss it.
        Interlocked.MemoryBarrier();
        var subscriptions = _registry.Get(data.SymbolId);
        if (subscriptions.Length != 0)
        {
            if (jsonLength == 0 && _registry.JsonSessions > 0)
            {
                // A JSON client subscribed since the count was read (it is counted before its first subscription
                // enters an array): its FIFO needs this quote's JSON in the log. The cache's JSON slot stays empty
                // for this quote; its readers encode from the quote (LastValueCache).
                jsonLength = QuoteJsonEncoder.WriteEntry(data, symbol, _jsonEntry);
            }

            // Only a client's FIFO reads the log, and only for quotes offered to it: a symbol nobody
            // subscribes to costs no copy there.
            _log.Append(sequence, data.Seq, data.PublishTimeNs, _entry.AsSpan(0, entryLength), _jsonEntry.AsSpan(0, jsonLength));
            foreach (var subscription in subscriptions)
            {
                var session = subscription.Session;
                if (session.Offer(subscription, sequence) && session.WakeBatch != _batch)
                {
                    session.WakeBatch = _batch;
                    NoteToWake(session);
                }
            }
        }

        if (barsChanged != 0)
        {
            OfferBars(data.SymbolId, barsChanged);
        }

        Volatile.Write(ref _processed, _processed + 1);
    }

    /// <summary>
    /// The bar clock ticked (about a second after the last tick, just past a whole second): closes the bars whose end is
    /// past by the close delay, with flat bars where nothing traded, and wakes their subscribers. Between batches.
    /// </summary>
    public void OnTick()
    {
        if (_bars is null)
        {
            return;
        }

        var listener = new ClosedBarsListener(this);
        _bars.CloseDue(UnixClock.NowNs(), ref listener);
        WakeSessions();
    }

    /// <summary>Flags the changed bars of <paramref name="symbolId"/> (intervals in <paramref name="intervals"/>) to their subscribers.</summary>
    private void OfferBars(int symbolId, int intervals)
    {
        for (var interval = 0; interval < BarIntervals.Count; interval++)
        {
            if ((intervals & (1 << interval)) == 0)
            {
                continue;
            }

            foreach (var subscription in _barRegistry!.Get(symbolId, interval))
            {
                var session = subscription.Session;
                if (session.OfferBar(subscription) && session.WakeBatch != _batch)
                {
                    session.WakeBatch = _batch;
                    NoteToWake(session);
                }
            }
        }
    }

    /// <summary>
    /// The source's seqs start again (docs/protocol.md, "Epoch"): what the server holds of the old epoch is forgotten
    /// before the new one becomes current, so nothing read under the new epoch comes from the old; then every session is
    /// told, before any quote of the new epoch is offered to it.
    /// </summary>
    /// <remarks>
    /// A session that opens meanwhile registers, then reads the current epoch for its <c>hello</c>; this makes the epoch
    /// current, fences, then enumerates the sessions. So a session either says the new epoch in its <c>hello</c> or is
    /// told of the change (maybe both: <see cref="SubscriptionService.EpochChanged"/> then sends nothing again).
    /// </remarks>
    private void ChangeEpoch()
    {
        if (_epoch is not null && _epoch.Announced == _epoch.Current)
        {
            // The same epoch again (a source that announced what it already had): nothing restarted, nothing to forget.
            return;
        }

        _history?.Forget();
        _bars?.ForgetVolumes();
        _cache.Forget(_symbols.Count);
        _epoch?.Enter();
        Interlocked.MemoryBarrier();
        _sessions?.EpochChanged();
    }

    /// <summary>
    /// The source became unreachable or reachable again (docs/protocol.md, "Feed status"): the new state becomes current,
    /// then every session is told. A session that opens meanwhile registers, then reads the current state after its
    /// <c>hello</c>, as for the epoch; it may be told twice, never not at all.
    /// </summary>
    private void ChangeStatus()
    {
        if (_status is null)
        {
            return;
        }

        var state = _status.Enter();
        Interlocked.MemoryBarrier();
        _sessions?.StatusChanged(state);
    }

    private void NoteToWake(ClientSession session)
    {
        if (_toWakeCount == _toWake.Length)
        {
            // Grows to the most clients ever woken in one batch, then stays.
            Array.Resize(ref _toWake, _toWake.Length * 2);
        }

        _toWake[_toWakeCount++] = session;
    }

    private void WakeSessions()
    {
        _batch++;
        if (_toWakeCount == 0)
        {
            return;
        }

        // One full fence per batch, not one per offer: every update offered in the batch is visible
        // before any session's drain request is read (the fan-out side of ClientSession.RequestDrain).
        Interlocked.MemoryBarrier();
        for (var i = 0; i < _toWakeCount; i++)
        {
            _toWake[i].RequestDrain();
            _toWake[i] = null!;
        }

        _toWakeCount = 0;
    }

    /// <summary>Offers the bars the clock closed, symbol by symbol, after a full fence (the book's writes before the registry's read).</summary>
    private readonly struct ClosedBarsListener(QuoteFanoutHandler handler) : IBarListener
    {
        public void BarsChanged(int symbolId, int intervalMask)
        {
            Interlocked.MemoryBarrier();
            handler.OfferBars(symbolId, intervalMask);
        }
    }
}
