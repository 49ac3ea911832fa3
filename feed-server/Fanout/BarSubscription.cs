using PriceFeed.Server.Bars;

namespace PriceFeed.Server.Fanout;

/// <summary>One client's subscription to the bars of one symbol in one interval: what the fan-out offers a changed bar to.</summary>
/// <remarks>
/// Shared as <see cref="SymbolSubscription"/> is: <see cref="Pending"/> goes from 0 to 1 by an atomic exchange on the
/// fan-out thread (a bar changed) and whoever flipped it links the subscription into its session's bar queue; the
/// session's event loop owns the rest. The fan-out only flags: the drain reads the bars themselves from the
/// <see cref="BarBook"/>, so a subscription pends at most once however often its bar changes (the latest wins), and a
/// closed bar is never lost (it is read from the book's ring of closed bars).
/// </remarks>
internal sealed class BarSubscription : PendingNode<BarSubscription>
{
    public BarSubscription(ClientSession session, int symbolId, int interval, long throttleTicks, bool viaWildcard)
    {
        Session = session;
        SymbolId = symbolId;
        Interval = interval;
        ThrottleTicks = throttleTicks;
        ViaWildcard = viaWildcard;
    }

    public ClientSession Session { get; }

    public int SymbolId { get; }

    /// <summary>The interval's index in <see cref="BarIntervals.Seconds"/>.</summary>
    public int Interval { get; }

    /// <summary>1 while the subscription waits in its session's bar queue.</summary>
    internal int Pending;

    /// <summary>False once unsubscribed: anything still queued for it is skipped. Written under the bar registry's lock.</summary>
    internal volatile bool Active = true;

    /// <summary>Minimum time between two updates of the bar in progress (Stopwatch ticks); 0: no throttle. Closed bars
    /// are never held back.</summary>
    internal long ThrottleTicks;

    /// <summary>True when the subscription came from <c>*</c>.</summary>
    internal bool ViaWildcard;

    // Event loop only below.

    /// <summary>False until the subscription's history went out: until then the drain leaves it alone.</summary>
    internal bool Started;

    /// <summary>The start of the last closed bar sent (or passed over as history); nothing closed at or before it is sent again.</summary>
    internal long LastClosedStartNs = long.MinValue;

    /// <summary>The bar in progress last sent, to send a change only.</summary>
    internal BarValue LastSentCurrent;

    /// <summary>When the next update of the bar in progress may go (Stopwatch ticks), under a throttle.</summary>
    internal long NextDueTicks;

    /// <summary>True while the subscription waits in the session's list of throttled bars.</summary>
    internal bool Deferred;
}
