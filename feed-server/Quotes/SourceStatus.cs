namespace PriceFeed.Server.Quotes;

/// <summary>Whether quotes flow from the source (docs/protocol.md, "Feed status"): live, or stale and why, since when.</summary>
/// <param name="Live">True while the source is reachable (a quiet market is still live).</param>
/// <param name="Reason">Why it is stale (<c>bus_down</c>, <c>publisher_silent</c>); empty when live.</param>
/// <param name="SinceNs">When this state began, Unix nanoseconds.</param>
internal sealed record FeedState(bool Live, string Reason, long SinceNs)
{
    public static readonly FeedState Initial = new(true, string.Empty, 0);

    /// <summary>The wire's word for the state: <c>live</c> or <c>stale</c>.</summary>
    public string Name => Live ? "live" : "stale";
}

/// <summary>
/// The source's <see cref="FeedState"/>, changed in the order of the quotes as the epoch is (<see cref="SourceEpoch"/>): the
/// source announces a new state, then publishes <see cref="QuoteEvent.StatusChangeMarker"/> into the ring; the fan-out makes
/// it <see cref="Current"/> when it takes that marker and tells every client.
/// </summary>
/// <remarks>A source that is never unreachable (the built-in simulator; one stopped by <c>--duration</c> is not stale)
/// never announces anything: its state stays live.</remarks>
internal sealed class SourceStatus
{
    private volatile FeedState _announced = FeedState.Initial;
    private volatile FeedState _current = FeedState.Initial;

    /// <summary>The state of the quotes the fan-out has taken so far: what clients and /healthz are told. Any thread.</summary>
    public FeedState Current => _current;

    /// <summary>The state the source is in now; ahead of <see cref="Current"/> until the fan-out takes the marker.</summary>
    public FeedState Announced => _announced;

    /// <summary>Names the state from now on; false when it is no change (then publish no marker). The source's thread.</summary>
    public bool Announce(bool live, string reason)
    {
        if (_announced.Live == live && _announced.Reason == (live ? string.Empty : reason))
        {
            return false;
        }

        _announced = new FeedState(live, live ? string.Empty : reason, UnixClock.NowNs());
        return true;
    }

    /// <summary>Makes the announced state current and returns it. The fan-out's thread, when it takes the marker.</summary>
    public FeedState Enter()
    {
        var state = _announced;
        _current = state;
        return state;
    }
}
