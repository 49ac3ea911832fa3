namespace PriceFeed.Server.Transport;

/// <summary>Names of the pipeline's entries, so the upgrade's Add/Remove calls read plainly.</summary>
internal static class PipelineNames
{
    public const string Tls = "tls";
    public const string Traffic = "traffic";
    public const string HttpDecoder = "http-decoder";
    public const string HttpTimeout = "http-timeout";
    public const string HttpRouter = "http-router";
    public const string WebSocketEncoder = "ws-encoder";
    public const string WebSocketDecoder = "ws-decoder";
    public const string RateLimit = "rate-limit";
    public const string WebSocketProtocol = "ws-protocol";
    public const string Heartbeat = "heartbeat";
    public const string Session = "session";
}
