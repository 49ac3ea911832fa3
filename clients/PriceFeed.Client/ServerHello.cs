namespace PriceFeed.Client;

/// <summary>What the server announced when the current connection opened (docs/protocol.md, "Messages", <c>hello</c>).</summary>
/// <param name="ServerId">Identifies the server node.</param>
/// <param name="Protocol">The negotiated subprotocol.</param>
/// <param name="HeartbeatInterval">How often the server pings; the client declares the connection dead after
/// <see cref="PriceFeedClient.DeadAfterHeartbeats"/> intervals without a frame.</param>
/// <param name="MaxSymbolsPerClient">Most named symbols one connection may subscribe to.</param>
/// <param name="SlowConsumerPolicy">The server's policy for clients that fall behind: <c>conflate</c> or <c>drop</c>.</param>
public sealed record ServerHello(string ServerId, string Protocol, TimeSpan HeartbeatInterval, int MaxSymbolsPerClient, string SlowConsumerPolicy)
{
    /// <summary>Names the source's seq space: a different epoch means its seqs started again. Empty: the server offers no resume.</summary>
    public string Epoch { get; init; } = "";

    /// <summary>Updates per symbol the server keeps for resume; 0: none (every reconnect gets snapshots).</summary>
    public int ResumeDepth { get; init; }
}
