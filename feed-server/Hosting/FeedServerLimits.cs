namespace PriceFeed.Server.Hosting;

/// <summary>Every limit the server enforces, with the reason for its default. One place, validated with the options.</summary>
internal sealed record FeedServerLimits
{
    /// <summary>20,000: the 10,000-connection benchmark with room to spare; ~10 KB each is ~200 MB.</summary>
    public int MaxConnections { get; init; } = 20_000;

    /// <summary>15 s: frequent enough to find dead peers within 30 s, rare enough to cost nothing.</summary>
    public int HeartbeatIntervalMs { get; init; } = 15_000;

    /// <summary>5 s: a browser sends its whole request at once; a client that dribbles is a slowloris.</summary>
    public int HandshakeTimeoutMs { get; init; } = 5_000;

    /// <summary>3 s: one round trip is enough for a live peer; a dead one must not hold the connection.</summary>
    public int CloseTimeoutMs { get; init; } = 3_000;

    /// <summary>64 KiB: a subscribe for 500 symbols is about 6 KiB; ten times that is no legitimate client.</summary>
    public int MaxMessageBytes { get; init; } = 65_536;

    /// <summary>8 KiB: the request-line limit most servers use (Kestrel, nginx); a token in the query fits.</summary>
    public int MaxRequestLineBytes { get; init; } = 8_192;

    /// <summary>16 KiB: twice a browser's usual headers with cookies.</summary>
    public int MaxHeaderBytes { get; init; } = 16_384;

    /// <summary>1,000: a trading floor behind one NAT address; a reverse proxy in front, or a load test from one
    /// host, makes every client one address and needs this raised to <see cref="MaxConnections"/>.</summary>
    public int MaxConnectionsPerIp { get; init; } = 1_000;

    /// <summary>50 a second: a dashboard sends a subscribe when a view changes and a ping every few seconds;
    /// fifty a second, sustained, is a client in a loop, and each message costs a parse and a registry change.</summary>
    public int ControlMessagesPerSecond { get; init; } = 50;

    /// <summary>100: a client that subscribes symbol by symbol at start-up, or reconnects and replays its
    /// subscriptions, sends a burst; twice the per-second rate lets that through at once.</summary>
    public int ControlBurst { get; init; } = 100;

    /// <summary>256 MiB: a client's socket buffer stops taking quotes at the 64 KiB high-water mark, so a healthy
    /// server holds a few MiB; this is 4,000 clients all a full buffer behind, and bounds the send memory of a
    /// server under a slow-client attack to a fraction of the machine.</summary>
    public long MaxQueuedBytes { get; init; } = 256L << 20;
}
