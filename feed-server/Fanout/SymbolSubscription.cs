namespace PriceFeed.Server.Fanout;

/// <summary>One client's subscription to one symbol: the unit the fan-out thread offers quotes to.</summary>
/// <remarks>
/// Shared by two threads with a clear split. <see cref="Pending"/> goes from 0 to 1 by an atomic exchange,
/// on the fan-out thread or (when the log lost an update) in the session's drain, and whoever flipped it
/// links the subscription into the session's queue; the session's event loop owns everything else and
/// sets <see cref="Pending"/> back to 0 when it takes the subscription off the queue. Immutable fields are
/// set at creation.
/// </remarks>
internal sealed class SymbolSubscription : PendingNode<SymbolSubscription>
{
    public SymbolSubscription(ClientSession session, int symbolId, long throttleTicks, bool viaWildcard)
    {
        Session = session;
        SymbolId = symbolId;
        ThrottleTicks = throttleTicks;
        ViaWildcard = viaWildcard;
    }

    public ClientSession Session { get; }

    public int SymbolId { get; }

    /// <summary>1 while the subscription waits in its session's conflation queue; makes each symbol pend at most once.</summary>
    internal int Pending;

    /// <summary>0 once unsubscribed: anything still queued for it is skipped. Written on the event loop, read by both threads.</summary>
    internal volatile bool Active = true;

    /// <summary>Minimum time between two updates of this symbol to the client (Stopwatch ticks); 0: no throttle.</summary>
    /// <remarks>Read by the fan-out thread to choose the conflating path; changed only on the event loop.</remarks>
    internal long ThrottleTicks;

    /// <summary>True when the subscription came from <c>*</c> and not from naming the symbol.</summary>
    internal bool ViaWildcard;

    // Event loop only below.

    /// <summary>The last seq sent to the client for this symbol: nothing older or equal is ever sent again.</summary>
    internal ulong LastSentSeq;

    /// <summary>When the next update may go (Stopwatch ticks), under a throttle.</summary>
    internal long NextDueTicks;

    /// <summary>True while the subscription sits in the session's throttle list, still pending.</summary>
    internal bool Deferred;
}
