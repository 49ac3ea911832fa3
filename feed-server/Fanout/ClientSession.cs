using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Security;

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
/// always conflates (docs/protocol.md, "Throttle": the latest wins).</para>
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
/// <para><b>Files.</b> One type, split by concern into partial files: this one holds the state and
/// its owners; <c>ClientSession.Subscriptions.cs</c> the subscription set another class changes under
/// <see cref="SubscriptionLock"/>; <c>ClientSession.Offer.cs</c> the fan-out thread's side (offer, drain
/// request); <c>ClientSession.Drain.cs</c> the event loop's side (drain rounds, FIFO, conflation queue,
/// snapshot); <c>ClientSession.Frames.cs</c> frame building; <c>ClientSession.Throttle.cs</c> deferred
/// subscriptions and the throttle timer; <c>ClientSession.SlowConsumer.cs</c> the slow-consumer warning and the 4001 grace timer;
/// <c>ClientSession.Replay.cs</c> the missed updates of a resumed symbol, written before its live ones. The
/// handshakes between the two sides are in Fanout/README.md.</para>
/// </remarks>
internal sealed partial class ClientSession : IRunnable
{
    /// <summary>
    /// Under <c>conflate</c>, updates a client may have waiting in order before newer ones replace older
    /// ones: 128 absorbs a burst of a ring batch (24-byte slots: 3 KB per client, so 10,000 clients stay cheap).
    /// </summary>
    public const int ConflateFifoCapacity = 128;

    private readonly IChannelHandlerContext _context;
    private readonly FanoutContext _fanout;
    private readonly QuoteFrameFormat _format;
    private readonly PendingQueue<SymbolSubscription> _pending;
    private readonly UpdateFifo _fifo;
    // The state of every part lives here, each field with the thread that owns it, so the sharing
    // between the fan-out thread and the event loop reads in one place.
    private readonly List<SymbolSubscription> _deferred = []; // event loop: throttled, not yet due
    private int _drainRequested;   // both: the drain request (RequestDrain sets it, Drain clears it)
    private bool _draining;   // event loop: a drain is on the stack
    private bool _drainAgain; // event loop: the channel became writable during that drain's flush
    private long _conflated;      // fan-out thread
    private long _conflatedLate;  // event loop: FIFO entries the log lost, replaced by the latest
    private long _delivered;      // event loop
    private long _barsDelivered;  // event loop
    private long _dropped;        // event loop
    private long _drainsScheduled; // fan-out thread
    private long _frames;         // event loop
    private long _laggingSince;   // event loop; Stopwatch ticks, 0 when keeping up
    private bool _warned;         // event loop; a slow_consumer warning is out and not cleared
    private IScheduledTask? _throttleTimer; // event loop
    private long _throttleTimerDue;         // event loop; Stopwatch ticks
    private IScheduledTask? _lagTimer;      // event loop
    private volatile bool _closed;          // set on the event loop, read on both threads

    public ClientSession(IChannelHandlerContext context, FanoutContext fanout, QuoteFrameFormat format, Entitlements? entitlements = null)
    {
        _context = context;
        _fanout = fanout;
        _format = format;
        Entitlements = entitlements ?? Entitlements.All;
        _pending = new PendingQueue<SymbolSubscription>(new SymbolSubscription(this, -1, 0, viaWildcard: false));
        _fifo = fanout.DropOldest
            ? new UpdateFifo(fanout.QueueCapacity, overwriteOldest: true)
            : new UpdateFifo(Math.Min(fanout.QueueCapacity, ConflateFifoCapacity), overwriteOldest: false);
    }

    public IChannel Channel => _context.Channel;

    /// <summary>True for a <c>pricefeed.v1.json</c> client: while it subscribes to something, the fan-out encodes JSON.</summary>
    public bool IsJson => _format is JsonQuoteFrames;

    public long Conflated => Volatile.Read(ref _conflated) + Volatile.Read(ref _conflatedLate);

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Bars written to the client (history, updates and closed bars).</summary>
    public long BarsDelivered => Volatile.Read(ref _barsDelivered);

    public long Dropped => Volatile.Read(ref _dropped);

    public long Frames => Volatile.Read(ref _frames);

    /// <summary>Drains the fan-out asked the event loop for: each one is a wake-up of the loop.</summary>
    public long DrainsScheduled => Volatile.Read(ref _drainsScheduled);

    /// <summary>Updates waiting in order: conflation queue entries are not counted (they are at most the client's symbols).</summary>
    public long QueuedInFifo => _fifo.Count;

    public bool IsClosed => _closed;

    /// <summary>Stops all sending; the registry has already removed the subscriptions. Event loop.</summary>
    public void Close()
    {
        _closed = true;
        _throttleTimer?.Cancel();
        _lagTimer?.Cancel();
    }
}
