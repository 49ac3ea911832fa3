namespace PriceFeed.Client;

/// <summary>Where a <see cref="PriceFeedClient"/> connects and how it behaves; checked once by <see cref="PriceFeedClient.ConnectAsync"/>.</summary>
public sealed class PriceFeedClientOptions
{
    /// <summary>The server's WebSocket endpoint, e.g. <c>ws://127.0.0.1:8080/ws</c> (or <c>wss://</c>).</summary>
    public Uri? Url { get; init; }

    /// <summary>A JWT for servers started with <c>--auth-secret</c>, sent as <c>Authorization: Bearer</c>; null: none.</summary>
    public string? Token { get; init; }

    /// <summary>Returns a fresh token for the same user (<c>sub</c>) when the current one nears its <c>exp</c>; null: no
    /// refresh, and the server closes the connection with 1008 when the token expires.</summary>
    /// <remarks>Called on a background task at 80% of the current token's remaining lifetime (its <c>exp</c> is read
    /// from the token without verifying it); the new token is sent as <c>auth</c> on the open connection and presented
    /// on every reconnect. A callback that throws is asked again later, until the token runs out
    /// (docs/clients.md, "Token refresh").</remarks>
    public Func<CancellationToken, ValueTask<string>>? TokenRefresher { get; init; }

    /// <summary>The subprotocol to speak. Default <see cref="PriceFeedSubprotocol.Proto"/>.</summary>
    public PriceFeedSubprotocol Subprotocol { get; init; } = PriceFeedSubprotocol.Proto;

    /// <summary>Sent with every subscribe: 0 for every update the client keeps up with; N for at most one update per symbol per N ms.</summary>
    public uint ThrottleMs { get; init; }

    /// <summary>Quotes the local buffer holds for a slow reader before it starts conflating by symbol.</summary>
    /// <remarks>
    /// 8192 by default: at 10,000 quotes per second a reader may stall for most of a second before it
    /// loses an update. The bound is soft by at most one quote per symbol, so that every symbol's newest
    /// quote always reaches the reader (see <see cref="PriceFeedClient.QuotesConflated"/>).
    /// </remarks>
    public int BufferCapacity { get; init; } = 8192;

    /// <summary>The backoff base: the first retry waits up to this long, each next one up to twice as long.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The most any retry waits. 10 s: a restarted server is found again within seconds of coming back.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for the TCP connection, the WebSocket handshake and the server's <c>hello</c>.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>On a reconnect, ask the server to resume every held symbol from its last seq (docs/protocol.md,
    /// "Resume") instead of sending a snapshot. Default true; a server that offers no resume is simply sent no request.</summary>
    public bool ResumeOnReconnect { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    internal void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != "ws" && Url.Scheme != "wss"))
        {
            throw new ArgumentException($"{nameof(Url)} must be an absolute ws:// or wss:// URI such as ws://127.0.0.1:8080/ws; it is '{Url}'.", nameof(Url));
        }

        if (BufferCapacity < 1)
        {
            throw new ArgumentException($"{nameof(BufferCapacity)} must be at least 1; it is {BufferCapacity}.", nameof(BufferCapacity));
        }

        if (ReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
        {
            throw new ArgumentException(
                $"{nameof(ReconnectDelay)} must be positive and at most {nameof(MaxReconnectDelay)}; they are {ReconnectDelay} and {MaxReconnectDelay}.",
                nameof(ReconnectDelay));
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be positive; it is {ConnectTimeout}.", nameof(ConnectTimeout));
        }
    }
}
