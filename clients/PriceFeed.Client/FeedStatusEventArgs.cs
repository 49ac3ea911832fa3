namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.FeedStatusChanged"/>: the server's <c>status</c> message.</summary>
/// <remarks>
/// Stale means the server's source is unreachable (its Redis bus is down, or its publisher went silent): the
/// connection is fine, but the latest prices may be old and no new ones come until the feed is live again. A quiet
/// market is still live.
/// </remarks>
public sealed class FeedStatusEventArgs : EventArgs
{
    /// <summary>Creates the data of one status.</summary>
    public FeedStatusEventArgs(bool live, string reason, DateTimeOffset since)
    {
        Live = live;
        Reason = reason;
        Since = since;
    }

    /// <summary>True when quotes flow from the source; false when they may be stale.</summary>
    public bool Live { get; }

    /// <summary>Why the feed is stale (<c>bus_down</c>, <c>publisher_silent</c>); empty when live.</summary>
    public string Reason { get; }

    /// <summary>When this state began, by the server's clock.</summary>
    public DateTimeOffset Since { get; }
}
