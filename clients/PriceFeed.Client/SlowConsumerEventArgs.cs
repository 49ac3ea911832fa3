namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.SlowConsumerWarning"/>: the server's <c>slow_consumer</c> message.</summary>
/// <remarks>
/// The server sends a warning when this client's queue there passes half its bound or the client has not taken its
/// updates for half the server's grace; the connection is closed with 4001 after <see cref="CloseIn"/> unless the
/// client catches up, in which case a second message says <see cref="Cleared"/>. Reading faster (or subscribing to
/// fewer symbols, or with a throttle) is the cure; reconnecting is what happens after a 4001.
/// </remarks>
public sealed class SlowConsumerEventArgs : EventArgs
{
    /// <summary>Creates the data of one warning.</summary>
    public SlowConsumerEventArgs(long queued, long limit, TimeSpan closeIn, bool cleared)
    {
        Queued = queued;
        Limit = limit;
        CloseIn = closeIn;
        Cleared = cleared;
    }

    /// <summary>Updates waiting for this client on the server.</summary>
    public long Queued { get; }

    /// <summary>The bound of that queue.</summary>
    public long Limit { get; }

    /// <summary>How long until the server closes the connection with 4001 unless the client catches up; zero when cleared.</summary>
    public TimeSpan CloseIn { get; }

    /// <summary>True when the client has caught up and the earlier warning no longer holds.</summary>
    public bool Cleared { get; }
}
