namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.GoingAway"/>: the server's <c>go_away</c> message.</summary>
public sealed class GoingAwayEventArgs : EventArgs
{
    /// <summary>Creates the data of one go-away.</summary>
    public GoingAwayEventArgs(TimeSpan reconnectAfter, string reason)
    {
        ReconnectAfter = reconnectAfter;
        Reason = reason;
    }

    /// <summary>How long the server asked this client to wait before it reconnects; the client adds its own jitter.</summary>
    public TimeSpan ReconnectAfter { get; }

    /// <summary>Why, for a human: <c>shutdown</c> or <c>restart</c>.</summary>
    public string Reason { get; }
}
