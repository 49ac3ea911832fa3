using System.Diagnostics;
using System.Runtime.CompilerServices;
using DotNetty.Buffers;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Security;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// One client as the fan-out sees it: its bounded send queue, filled by the fan-out thread, and
/// the drain that turns what is pending into <c>quotes</c> frames on the client's event loop.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> <see cref="Offer"/> and <see cref="RequestDrain"/> run on the fan-out thread
/// only; everything else on the channel's event loop. They share, with no lock, the FIFO (one producer,
/// one consumer), the conflation queue (fed by the fan-out and by the drain itself) and two flags: a
/// subscription's <c>Pending</c> and the session's drain request.</para>
/// <para><b>Policies.</b> Updates first go, in order, into an <see cref="UpdateFifo"/> pointing into
/// the <see cref="QuoteLog"/>, so a client that keeps up gets every update, even two of a symbol
/// that arrive in one ring batch. <c>conflate</c>: the FIFO is small (<see cref="ConflateFifoCapacity"/>)
/// and refuses when full; an update it refuses makes its subscription pend (at most once), and the
/// drain then reads the symbol's newest entry from the <see cref="LastValueCache"/>: the newest
/// update wins and the backlog never exceeds the FIFO plus the client's symbols. <c>drop</c>: the
/// FIFO holds <c>--queue-capacity</c> updates and overwrites the oldest. A throttled subscription
/// always conflates (CONTRACT.md: "latest wins").</para>
/// <para><b>Order.</b> The session remembers the last seq it sent per symbol and skips anything
/// not newer, so a snapshot followed by live updates, re-subscriptions and lapped FIFOs all keep
/// seq strictly increasing.</para>
/// <para><b>Frames.</b> Entries are copied, already encoded, from the cache or the log into the
/// frame; the session's <see cref="QuoteFrameFormat"/> (protobuf or JSON, by subprotocol) says
/// where they come from and writes the message around them. Nothing is serialized per client.</para>
/// <para><b>Backpressure.</b> The drain writes while the channel is writable (the write buffer's
/// high-water mark is small) and stops when it is not; the backlog stays in the queue where it
/// still conflates or drops. A client that stays unwritable with updates pending for longer than
/// the grace is closed with 4001.</para>
/// <para><b>One file, for now.</b> Over 300 lines because the offer path, the drain and the frame
/// writer lean on the same lock-free invariants (the handshakes in Fanout/README.md), which read
/// best side by side while they change; issue 14 splits the type by concern into partial files.</para>
/// </remarks>
internal sealed class ClientSession : IRunnable
{
    /// <summary>64 KiB: a frame of about 600 quotes; bigger frames only delay the first quote in them.</summary>
    public const int MaxFrameBytes = 64 * 1024;

    /// <summary>
    /// Under <c>conflate</c>, updates a client may have waiting in order before newer ones replace older
    /// ones: 128 absorbs a burst of a ring batch (24-byte slots: 3 KB per client, so 10,000 clients stay cheap).
    /// </summary>
    public const int ConflateFifoCapacity = 128;

    private const int InitialFrameBytes = 4 * 1024;

    private readonly IChannelHandlerContext _context;
    private readonly FanoutContext _fanout;
    private readonly QuoteFrameFormat _format;
    private readonly PendingQueue _pending;
    private readonly UpdateFifo _fifo;
    private readonly List<SymbolSubscription> _deferred = [];
    private readonly Dictionary<int, SymbolSubscription> _subscriptions = [];
    private int _drainRequested;
    private bool _draining;   // event loop: a drain is on the stack
    private bool _drainAgain; // event loop: the channel became writable during that drain's flush
    private long _conflated;      // fan-out thread
    private long _conflatedLate;  // event loop: FIFO entries the log lost, replaced by the latest
    private long _delivered;      // event loop
    private long _dropped;        // event loop
    private long _drainsScheduled; // fan-out thread
    private long _frames;         // event loop
    private long _laggingSince;   // event loop; Stopwatch ticks, 0 when keeping up
    private IScheduledTask? _throttleTimer;
    private long _throttleTimerDue;
    private IScheduledTask? _lagTimer;
    private volatile bool _closed;

    public ClientSession(IChannelHandlerContext context, FanoutContext fanout, QuoteFrameFormat format, Entitlements? entitlements = null)
    {
        _context = context;
        _fanout = fanout;
        _format = format;
        Entitlements = entitlements ?? Entitlements.All;
        _pending = new PendingQueue(this);
        _fifo = fanout.DropOldest
            ? new UpdateFifo(fanout.QueueCapacity, overwriteOldest: true)
            : new UpdateFifo(Math.Min(fanout.QueueCapacity, ConflateFifoCapacity), overwriteOldest: false);
    }

    public IChannel Channel => _context.Channel;

    /// <summary>True for a <c>pricefeed.v1.json</c> client: while it subscribes to something, the fan-out encodes JSON.</summary>
    public bool IsJson => _format is JsonQuoteFrames;

    /// <summary>True while this session counts in <see cref="SubscriptionRegistry.JsonSessions"/>; under <see cref="SubscriptionLock"/>.</summary>
    public bool CountedAsJson { get; set; }

    /// <summary>The symbols this client may subscribe to (its token's <c>symbols</c> claim). Immutable.</summary>
    public Entitlements Entitlements { get; }

    /// <summary>Guards the subscription set; held by the registry while it changes it. Never taken on the hot path.</summary>
    public object SubscriptionLock => _subscriptions;

    /// <summary>The client's subscriptions by symbol id. Read and changed only under <see cref="SubscriptionLock"/>.</summary>
    public Dictionary<int, SymbolSubscription> Subscriptions => _subscriptions;

    /// <summary>Subscriptions made by naming the symbol (what <c>max-symbols-per-client</c> bounds); under <see cref="SubscriptionLock"/>.</summary>
    public int NamedSubscriptions { get; set; }

    /// <summary>True while the client is subscribed to <c>*</c>; under <see cref="SubscriptionLock"/>.</summary>
    public bool Wildcard { get; set; }

    /// <summary>The throttle of the <c>*</c> subscription, given to symbols that appear later; under <see cref="SubscriptionLock"/>.</summary>
    public long WildcardThrottleTicks { get; set; }

    public long Conflated => Volatile.Read(ref _conflated) + Volatile.Read(ref _conflatedLate);

    public long Delivered => Volatile.Read(ref _delivered);

    public long Dropped => Volatile.Read(ref _dropped);

    public long Frames => Volatile.Read(ref _frames);

    /// <summary>Drains the fan-out asked the event loop for: each one is a wake-up of the loop.</summary>
    public long DrainsScheduled => Volatile.Read(ref _drainsScheduled);

    /// <summary>Updates waiting in order: conflation queue entries are not counted (they are at most the client's symbols).</summary>
    public long QueuedInFifo => _fifo.Count;

    public bool IsClosed => _closed;

    /// <summary>The fan-out's batch in which this session was last noted for a wake-up. Fan-out thread only.</summary>
    internal long WakeBatch;

    /// <summary>
    /// Offers the quote at ring <paramref name="sequence"/> to <paramref name="subscription"/>.
    /// Fan-out thread only. Returns true when the offer queued something, so the session must be asked
    /// to drain at the end of the batch (<see cref="RequestDrain"/>); false when it only conflated into
    /// an update already pending.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Offer(SymbolSubscription subscription, long sequence)
    {
        if (subscription.ThrottleTicks == 0
            && (_fanout.DropOldest || Volatile.Read(ref subscription.Pending) == 0)
            && _fifo.TryOffer(sequence, subscription))
        {
            // In order, every update. (A pending subscription keeps conflating until drained, so its
            // newest update is never overtaken by an older one in the FIFO.)
        }
        else if (Interlocked.Exchange(ref subscription.Pending, 1) == 0)
        {
            // A full fence on both sides (here and in the drain) makes the last-value cache write
            // before it visible to a drain that clears Pending: no update is ever left behind.
            _pending.Enqueue(subscription);
        }
        else
        {
            Volatile.Write(ref _conflated, _conflated + 1);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Asks the event loop to drain unless a drain is already requested and has not started yet.
    /// Fan-out thread, at the end of a batch, after a full fence that follows its offers.
    /// </summary>
    /// <remarks>
    /// The handshake is a store then a load on each side: the fan-out stores updates then loads
    /// <c>_drainRequested</c>; <see cref="Drain"/> stores 0 there then loads the queues. Only a full
    /// fence between the two on both sides (the caller's before this, the exchange in <see cref="Drain"/>)
    /// rules out both loads seeing the old value, which would leave an update with no drain to send it.
    /// </remarks>
    public void RequestDrain()
    {
        if (Volatile.Read(ref _drainRequested) == 0 && Interlocked.CompareExchange(ref _drainRequested, 1, 0) == 0)
        {
            ScheduleDrain();
        }
    }

    /// <summary>Asks the event loop to drain (see <see cref="RequestDrain"/>).</summary>
    private void ScheduleDrain()
    {
        if (_closed)
        {
            return;
        }

        Volatile.Write(ref _drainsScheduled, _drainsScheduled + 1);
        try
        {
            _context.Executor.Execute(this);
        }
        catch (RejectedExecutionException)
        {
            // The event loop is shutting down with the server: nothing left to send to.
        }
    }

    /// <inheritdoc cref="Drain"/>
    void IRunnable.Run() => Drain();

    /// <summary>Writes everything pending as <c>quotes</c> frames while the channel is writable, then flushes once. Event loop only.</summary>
    /// <remarks>
    /// Never nests. A drain that filled the channel stops and flushes; DotNetty writes to the socket inside
    /// that flush and, when the socket took enough, fires the writability change, which calls this again.
    /// That inner call only asks the outer one to go round again: the outer drain then knows whether the
    /// client caught up before it decides to mark it as lagging (a nested drain that cleared the mark, then
    /// an outer one that set it again, closed caught-up clients with 4001), and the stack does not deepen
    /// by one level per high-water mark of backlog.
    /// </remarks>
    public void Drain()
    {
        if (_draining)
        {
            _drainAgain = true;
            return;
        }

        _draining = true;
        try
        {
            DrainRounds();
        }
        finally
        {
            _draining = false;
        }
    }

    private void DrainRounds()
    {
        bool complete;
        long now;
        do
        {
            _drainAgain = false;
            // A full fence before the queues are read: the drain side of the handshake in RequestDrain.
            Interlocked.Exchange(ref _drainRequested, 0);
            if (_closed || !_context.Channel.Active)
            {
                return;
            }

            now = Stopwatch.GetTimestamp();
            var writer = new FrameWriter(this);
            try
            {
                complete = DrainDeferred(ref writer, now) && DrainFifo(ref writer) && DrainPending(ref writer, now);
                writer.Finish();
            }
            finally
            {
                writer.ReleaseUnsent();
            }
        }
        while (!complete && _drainAgain);

        if (complete)
        {
            _laggingSince = 0;
        }
        else
        {
            StartLagging(now);
        }
    }

    /// <summary>Writes a snapshot frame for <paramref name="subscriptions"/>: their latest quotes, newer than anything sent. Event loop only.</summary>
    public void WriteSnapshot(IReadOnlyList<SymbolSubscription> subscriptions)
    {
        IByteBuffer? frame = null;
        try
        {
            foreach (var subscription in subscriptions)
            {
                frame ??= NewFrame();
                AppendFromCache(frame, subscription);
            }

            if (frame is not null && frame.WriterIndex > _format.HeaderReserve)
            {
                var sealedFrame = frame;
                frame = null;
                Emit(sealedFrame, QuoteFrameKind.Snapshot, flush: true);
            }
        }
        finally
        {
            // Not handed to the channel (nothing to send, or something threw): the pooled buffer goes back.
            frame?.Release();
        }
    }

    /// <summary>Stops all sending; the registry has already removed the subscriptions. Event loop.</summary>
    public void Close()
    {
        _closed = true;
        _throttleTimer?.Cancel();
        _lagTimer?.Cancel();
    }

    private bool DrainDeferred(ref FrameWriter writer, long now)
    {
        if (_deferred.Count == 0)
        {
            return true;
        }

        var nextDue = long.MaxValue;
        for (var i = 0; i < _deferred.Count;)
        {
            var subscription = _deferred[i];
            if (subscription.NextDueTicks > now && subscription.Active)
            {
                nextDue = Math.Min(nextDue, subscription.NextDueTicks);
                i++;
                continue;
            }

            if (!writer.CanWrite)
            {
                return false;
            }

            _deferred[i] = _deferred[^1];
            _deferred.RemoveAt(_deferred.Count - 1);
            subscription.Deferred = false;
            SendLatest(ref writer, subscription, now);
        }

        if (nextDue != long.MaxValue)
        {
            ArmThrottleTimer(nextDue, now);
        }

        return true;
    }

    private bool DrainFifo(ref FrameWriter writer)
    {
        while (writer.CanWrite)
        {
            if (!_fifo.TryTake(out var sequence, out var subscription, out var dropped))
            {
                _dropped += dropped;
                return true;
            }

            _dropped += dropped;
            if (!subscription.Active)
            {
                continue;
            }

            var frame = writer.Frame;
            var length = _format.CopyLogged(sequence, ByteBuffers.WritableSpan(frame, _format.MaxEntryBytes), out var seq, out var publishTimeNs);
            if (length == 0)
            {
                // Overwritten in the shared log before we got to it: this client was too far behind.
                if (_fanout.DropOldest)
                {
                    _dropped++;
                }
                else
                {
                    // conflate never loses a symbol's last word: send its latest instead, from the cache.
                    _conflatedLate++;
                    if (Interlocked.Exchange(ref subscription.Pending, 1) == 0)
                    {
                        _pending.Enqueue(subscription);
                    }
                }
            }
            else if (seq > subscription.LastSentSeq)
            {
                frame.SetWriterIndex(frame.WriterIndex + length);
                subscription.LastSentSeq = seq;
                writer.Added(publishTimeNs);
            }
        }

        return _fifo.Count == 0;
    }

    private bool DrainPending(ref FrameWriter writer, long now)
    {
        while (true)
        {
            if (!writer.CanWrite)
            {
                // Maybe nothing is left; if something is, the writability change drains it.
                return false;
            }

            if (!_pending.TryDequeue(out var subscription))
            {
                return true;
            }

            if (!subscription.Active)
            {
                Interlocked.Exchange(ref subscription.Pending, 0);
                continue;
            }

            if (subscription.ThrottleTicks > 0 && subscription.NextDueTicks > now)
            {
                // Stays Pending: newer updates conflate into it until it is due (one timer per session, not per symbol).
                subscription.Deferred = true;
                _deferred.Add(subscription);
                ArmThrottleTimer(subscription.NextDueTicks, now);
                continue;
            }

            SendLatest(ref writer, subscription, now);
        }
    }

    private void SendLatest(ref FrameWriter writer, SymbolSubscription subscription, long now)
    {
        // Clear Pending before reading the cache (with a full fence, paired with Offer's), so an
        // update landing after the read pends again and is sent by the next drain.
        Interlocked.Exchange(ref subscription.Pending, 0);
        if (!subscription.Active)
        {
            return;
        }

        if (AppendFromCache(writer.Frame, subscription, out var publishTimeNs))
        {
            writer.Added(publishTimeNs);
            if (subscription.ThrottleTicks > 0)
            {
                subscription.NextDueTicks = now + subscription.ThrottleTicks;
            }
        }
    }

    private bool AppendFromCache(IByteBuffer frame, SymbolSubscription subscription) =>
        AppendFromCache(frame, subscription, out _);

    private bool AppendFromCache(IByteBuffer frame, SymbolSubscription subscription, out long publishTimeNs)
    {
        var length = _format.CopyLatest(
            subscription.SymbolId, ByteBuffers.WritableSpan(frame, _format.MaxEntryBytes), out var seq, out publishTimeNs);
        if (length == 0 || seq <= subscription.LastSentSeq)
        {
            return false;
        }

        frame.SetWriterIndex(frame.WriterIndex + length);
        subscription.LastSentSeq = seq;
        return true;
    }

    private IByteBuffer NewFrame()
    {
        var frame = _context.Allocator.Buffer(InitialFrameBytes);
        frame.SetWriterIndex(_format.HeaderReserve);
        return frame;
    }

    /// <summary>Writes the message around the frame's entries (<see cref="QuoteFrameFormat.Seal"/>) and sends it.</summary>
    private void Emit(IByteBuffer frame, QuoteFrameKind kind, bool flush)
    {
        // Stamped once per message, as it is built: the client can tell the server's queueing from the network.
        var message = _format.Seal(frame, kind, UnixClock.NowNs());
        _frames++;
        _fanout.Metrics.FramesOut.Inc();
        if (flush)
        {
            _context.WriteAndFlushAsync(message);
        }
        else
        {
            _context.WriteAsync(message);
        }
    }

    private void ArmThrottleTimer(long dueTicks, long now)
    {
        if (_throttleTimer is not null && _throttleTimerDue <= dueTicks)
        {
            return;
        }

        _throttleTimer?.Cancel();
        _throttleTimerDue = dueTicks;
        var delay = Stopwatch.GetElapsedTime(now, dueTicks);
        _throttleTimer = _context.Executor.Schedule(static s => ((ClientSession)s).OnThrottleTimer(), this, delay);
    }

    private void OnThrottleTimer()
    {
        _throttleTimer = null;
        Drain();
    }

    private void StartLagging(long now)
    {
        if (_laggingSince != 0)
        {
            return;
        }

        _laggingSince = now;
        _lagTimer?.Cancel();
        _lagTimer = _context.Executor.Schedule(
            static s => ((ClientSession)s).CheckLagging(), this, TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs));
    }

    private void CheckLagging()
    {
        _lagTimer = null;
        if (_closed || _laggingSince == 0)
        {
            return;
        }

        var lagging = Stopwatch.GetElapsedTime(_laggingSince);
        if (lagging.TotalMilliseconds >= _fanout.SlowConsumerGraceMs)
        {
            // CONTRACT.md: a client over its bound for longer than the grace is closed with 4001.
            _fanout.Metrics.SlowConsumerCloses.Inc();
            _fanout.Metrics.Closes.WithLabels("4001").Inc();
            WebSocketProtocolHandler.InitiateClose(_context.Channel, FeedCloseStatus.SlowConsumer, "slow consumer");
            Close();
            return;
        }

        _lagTimer = _context.Executor.Schedule(
            static s => ((ClientSession)s).CheckLagging(), this, TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs) - lagging);
    }

    /// <summary>Builds frames during one drain: starts one on demand, emits it at the size limit, flushes once at the end.</summary>
    private struct FrameWriter
    {
        private readonly ClientSession _session;
        private IByteBuffer? _frame;
        private long _oldestPublishNs;
        private bool _wrote;

        public FrameWriter(ClientSession session) => _session = session;

        /// <summary>The frame being filled, started if needed, with room for one more entry.</summary>
        public IByteBuffer Frame
        {
            get
            {
                if (_frame is not null && _frame.WriterIndex >= MaxFrameBytes)
                {
                    EmitCurrent();
                }

                return _frame ??= _session.NewFrame();
            }
        }

        /// <summary>False once the channel stopped being writable: leave the rest in the queues.</summary>
        public readonly bool CanWrite => _session._context.Channel.IsWritable;

        public void Added(long publishTimeNs)
        {
            if (_oldestPublishNs == 0)
            {
                _oldestPublishNs = publishTimeNs;
            }

            _session._delivered++;
        }

        public void Finish()
        {
            if (_frame is not null && _frame.WriterIndex > _session._format.HeaderReserve)
            {
                EmitCurrent();
            }
            else
            {
                ReleaseUnsent();
            }

            if (_wrote)
            {
                _session._context.Flush();
            }
        }

        /// <summary>Releases the frame being filled if it was not handed to the channel (something threw mid-drain).</summary>
        public void ReleaseUnsent()
        {
            _frame?.Release();
            _frame = null;
        }

        private void EmitCurrent()
        {
            _session._fanout.Metrics.ObservePublishToWrite(_oldestPublishNs);
            // The channel owns the frame from here, even if the write fails.
            var frame = _frame!;
            _frame = null;
            _oldestPublishNs = 0;
            _wrote = true;
            _session.Emit(frame, QuoteFrameKind.Quotes, flush: false);
        }
    }
}
