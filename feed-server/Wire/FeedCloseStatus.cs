namespace PriceFeed.Server.Wire;

/// <summary>The close codes PriceFeed defines itself, from RFC 6455's 4000-4999 private-use range.</summary>
/// <remarks>The RFC 6455 and IANA codes the server also sends are the codec's
/// (<c>Codecs/WebSockets/WebSocketCloseStatus</c>); the protocol section of the README lists them all.</remarks>
internal static class FeedCloseStatus
{
    /// <summary>4001: the client stayed over its send-queue bound longer than the grace period.</summary>
    public const ushort SlowConsumer = 4001;
}
