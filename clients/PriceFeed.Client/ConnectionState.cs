namespace PriceFeed.Client;

/// <summary>Where a <see cref="PriceFeedClient"/> stands with its server.</summary>
public enum ConnectionState
{
    /// <summary>The first connection is being opened.</summary>
    Connecting,

    /// <summary>The server's <c>hello</c> arrived; subscriptions are (re)sent and quotes flow.</summary>
    Connected,

    /// <summary>The connection was lost; the client waits out its backoff and opens a new one.</summary>
    Reconnecting,

    /// <summary>The client was disposed, or the server refused it in a way retrying cannot fix. Final.</summary>
    Closed,
}
