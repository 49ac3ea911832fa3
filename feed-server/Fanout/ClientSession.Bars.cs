using System.Diagnostics;
using DotNetty.Buffers;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

// Bars (docs/protocol.md, "Bars"): the fan-out flags a bar subscription whose bar changed (OfferBar); the drain reads the
// bars from the BarBook: closed bars after the last one sent, in order and each once, then the bar in progress if it
// changed and its throttle allows. The history a subscribe asks for goes first (StartBars).
internal sealed partial class ClientSession
{
    /// <summary>Bars copied from the book at a time while draining: 32 x 56 bytes on the stack.</summary>
    private const int BarChunk = 32;

    /// <summary>
    /// 8 MiB: the most a history message may take, half of what the clients in this repository accept in one message
    /// (16 MiB). A request whose symbols x history could pass it gets fewer bars per symbol, the same number for each.
    /// </summary>
    public const int MaxHistoryBytes = 8 << 20;

    private readonly Dictionary<(int SymbolId, int Interval), BarSubscription> _barSubscriptions = [];
    private readonly List<BarSubscription> _deferredBars = []; // event loop: in-progress updates not yet due
    private PendingQueue<BarSubscription>? _pendingBars;       // made at the first bar subscription

    /// <summary>The client's bar subscriptions by (symbol, interval). Read and changed only under the bar registry's lock.</summary>
    public Dictionary<(int SymbolId, int Interval), BarSubscription> BarSubscriptions => _barSubscriptions;

    /// <summary>How many bar subscriptions the client holds now; any thread (a count read without the lock, for status pages).</summary>
    public int BarSubscriptionCount => _barSubscriptions.Count;

    /// <summary>True while the client subscribes to the bars of <c>*</c> in interval i (bit i); under the bar registry's lock.</summary>
    public int BarWildcards { get; set; }

    /// <summary>The throttle of the <c>*</c> bar subscription per interval; under the bar registry's lock.</summary>
    public long[] BarWildcardThrottleTicks { get; } = new long[BarIntervals.Count];

    /// <summary>Bar subscriptions made by naming the symbol, per interval (what <c>max-symbols-per-client</c> bounds).</summary>
    public int[] NamedBarSubscriptions { get; } = new int[BarIntervals.Count];

    private PendingQueue<BarSubscription> PendingBars =>
        Volatile.Read(ref _pendingBars) ?? InitPendingBars();

    /// <summary>
    /// Flags <paramref name="subscription"/>'s bar as changed. Fan-out thread only. True when it was not flagged yet,
    /// so the session must be asked to drain at the end of the batch.
    /// </summary>
    public bool OfferBar(BarSubscription subscription)
    {
        // The caller fenced fully after writing the bar (the quote's fence in QuoteFanoutHandler.Process, or the one before
        // each symbol's closed bars): a flag still set is cleared by a drain that then reads the book and finds the bar.
        // So a plain read skips the atomic exchange for a bar already flagged, as most are while a drain is due.
        if (Volatile.Read(ref subscription.Pending) != 0 || Interlocked.Exchange(ref subscription.Pending, 1) != 0)
        {
            return false;
        }

        PendingBars.Enqueue(subscription);
        return true;
    }

    /// <summary>
    /// Sends the history of newly accepted bar subscriptions as one <c>bars</c> message (sent even when empty), then
    /// queues each so its bar in progress follows. Event loop, right after the <c>subscribe_result</c>, before any drain.
    /// </summary>
    /// <remarks>One message, however long (docs/protocol.md, "Bars"), within <see cref="MaxHistoryBytes"/>: the bars per
    /// symbol are cut to what the bound holds for the longest entries of this subprotocol.</remarks>
    public void StartBars(IReadOnlyList<BarSubscription> subscriptions, int history)
    {
        var book = _fanout.Bars!;
        history = HistoryWithinBound(history, subscriptions.Count);
        var writer = new FrameWriter(this, QuoteFrameKind.Bars, oneMessage: true);
        try
        {
            Span<BarValue> chunk = stackalloc BarValue[BarChunk];
            foreach (var subscription in subscriptions)
            {
                var bars = book.Get(subscription.SymbolId)!;
                var newest = bars.NewestClosedStart(subscription.Interval);
                if (history > 0 && newest != long.MinValue)
                {
                    // The newest `history` closed bars, oldest first: start after the one `history` intervals before the newest,
                    // and after the last one this connection already got (a subscription asked for again): none is repeated.
                    var after = Math.Max(newest - (history * BarIntervals.LengthNs(subscription.Interval)), subscription.LastClosedStartNs);
                    WriteClosedAfter(ref writer, subscription, bars, after, newest, chunk);
                }

                subscription.LastClosedStartNs = Math.Max(subscription.LastClosedStartNs, newest);
            }

            writer.FinishAlways();
        }
        finally
        {
            writer.ReleaseUnsent();
        }

        foreach (var subscription in subscriptions)
        {
            if (Interlocked.Exchange(ref subscription.Pending, 1) == 0)
            {
                PendingBars.Enqueue(subscription);
            }
        }

        Drain();
    }

    /// <summary>The bars per symbol a history of <paramref name="symbols"/> symbols may hold within <see cref="MaxHistoryBytes"/>.</summary>
    public int HistoryWithinBound(int history, int symbols) =>
        Math.Min(history, Math.Max(1, MaxHistoryBytes / _format.MaxBarEntryBytes / Math.Max(1, symbols)));

    private PendingQueue<BarSubscription> InitPendingBars()
    {
        var queue = new PendingQueue<BarSubscription>(new BarSubscription(this, -1, 0, 0, viaWildcard: false));
        return Interlocked.CompareExchange(ref _pendingBars, queue, null) ?? queue;
    }

    private bool DrainBars(long now)
    {
        if (Volatile.Read(ref _pendingBars) is null)
        {
            return true;
        }

        var writer = new FrameWriter(this, QuoteFrameKind.Bars);
        try
        {
            var complete = DrainDeferredBars(ref writer, now) && DrainPendingBars(ref writer, now);
            writer.Finish();
            return complete;
        }
        finally
        {
            writer.ReleaseUnsent();
        }
    }

    private bool DrainPendingBars(ref FrameWriter writer, long now)
    {
        while (true)
        {
            if (!writer.CanWrite)
            {
                return false;
            }

            if (!PendingBars.TryDequeue(out var subscription))
            {
                return true;
            }

            // Clear the flag (a full fence, paired with OfferBar's) before reading the book: a change after the read flags it again.
            Interlocked.Exchange(ref subscription.Pending, 0);
            if (subscription.Active)
            {
                SendBars(ref writer, subscription, now);
            }
        }
    }

    private bool DrainDeferredBars(ref FrameWriter writer, long now) =>
        DrainDue(_deferredBars, ref writer, now, static (session, ref writer, subscription, now) =>
        {
            if (subscription.Active)
            {
                session.SendBars(ref writer, subscription, now);
            }
        });

    /// <summary>Writes the closed bars not sent yet, then the bar in progress if it changed and is due.</summary>
    private void SendBars(ref FrameWriter writer, BarSubscription subscription, long now)
    {
        var bars = _fanout.Bars!.Get(subscription.SymbolId)!;
        Span<BarValue> chunk = stackalloc BarValue[BarChunk];
        WriteClosedAfter(ref writer, subscription, bars, subscription.LastClosedStartNs, long.MaxValue, chunk);
        if (!bars.TryReadCurrent(subscription.Interval, out var current)
            || current.StartNs <= subscription.LastClosedStartNs
            || Same(current, subscription.LastSentCurrent))
        {
            return;
        }

        if (subscription.ThrottleTicks > 0 && subscription.NextDueTicks > now)
        {
            // Held back until due; the newest is read then (latest wins). One timer per session, as for quotes.
            if (!subscription.Deferred)
            {
                subscription.Deferred = true;
                _deferredBars.Add(subscription);
            }

            ArmThrottleTimer(subscription.NextDueTicks, now);
            return;
        }

        WriteBar(ref writer, subscription, current, closed: false);
        subscription.LastSentCurrent = current;
        if (subscription.ThrottleTicks > 0)
        {
            subscription.NextDueTicks = now + subscription.ThrottleTicks;
        }
    }

    private void WriteClosedAfter(
        ref FrameWriter writer, BarSubscription subscription, SymbolBars bars, long afterStartNs, long untilStartNs, Span<BarValue> chunk)
    {
        while (true)
        {
            var count = bars.ReadClosed(subscription.Interval, afterStartNs, chunk);
            for (var i = 0; i < count; i++)
            {
                if (chunk[i].StartNs > untilStartNs)
                {
                    return;
                }

                WriteBar(ref writer, subscription, chunk[i], closed: true);
                afterStartNs = chunk[i].StartNs;
                subscription.LastClosedStartNs = Math.Max(subscription.LastClosedStartNs, afterStartNs);
            }

            if (count < chunk.Length)
            {
                return;
            }
        }
    }

    private void WriteBar(ref FrameWriter writer, BarSubscription subscription, in BarValue bar, bool closed)
    {
        var frame = writer.Frame;
        var length = _format.WriteBar(
            _fanout.Symbols!.GetUtf8Name(subscription.SymbolId), BarIntervals.SecondsAt(subscription.Interval), bar, closed,
            ByteBuffers.WritableSpan(frame, _format.MaxBarEntryBytes));
        frame.SetWriterIndex(frame.WriterIndex + length);
        writer.AddedBar();
    }

    private static bool Same(in BarValue a, in BarValue b) =>
        a.StartNs == b.StartNs && a.Trades == b.Trades && a.Volume == b.Volume && a.Close.Equals(b.Close)
        && a.High.Equals(b.High) && a.Low.Equals(b.Low) && a.Open.Equals(b.Open);
}
