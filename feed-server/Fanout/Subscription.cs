namespace PriceFeed.Server.Fanout;

/// <summary>
/// What a client's subscription to quotes (<see cref="SymbolSubscription"/>) and to bars (<see cref="BarSubscription"/>)
/// have in common: the unit the fan-out flags as pending, with its session, symbol, throttle and place in the lists.
/// </summary>
/// <remarks>
/// Shared by two threads with a clear split. <see cref="Pending"/> goes from 0 to 1 by an atomic exchange, on the
/// fan-out thread (or, for quotes, in the session's drain when the log lost an update), and whoever flipped it links the
/// subscription into the session's queue; the session's event loop owns everything else and sets <see cref="Pending"/>
/// back to 0 when it takes the subscription off the queue. Immutable fields are set at creation.
/// </remarks>
internal abstract class Subscription<T> : PendingNode<T>
    where T : Subscription<T>
{
    protected Subscription(ClientSession session, int symbolId, long throttleTicks, bool viaWildcard)
    {
        Session = session;
        SymbolId = symbolId;
        ThrottleTicks = throttleTicks;
        ViaWildcard = viaWildcard;
    }

    public ClientSession Session { get; }

    public int SymbolId { get; }

    /// <summary>1 while the subscription waits in its session's queue; makes it pend at most once.</summary>
    internal int Pending;

    /// <summary>False once unsubscribed: anything still queued for it is skipped. Written on the event loop (under the
    /// registry's lock), read by both threads.</summary>
    internal volatile bool Active = true;

    /// <summary>Minimum time between two updates to the client (Stopwatch ticks); 0: no throttle.</summary>
    /// <remarks>Read by the fan-out thread to choose the conflating path for quotes; changed only on the event loop.</remarks>
    internal long ThrottleTicks;

    /// <summary>True when the subscription came from <c>*</c> and not from naming the symbol.</summary>
    internal bool ViaWildcard;

    // Event loop only below.

    /// <summary>When the next update may go (Stopwatch ticks), under a throttle.</summary>
    internal long NextDueTicks;

    /// <summary>True while the subscription waits in the session's list of throttled subscriptions not yet due.</summary>
    internal bool Deferred;
}
