namespace PriceFeed.Server.Metrics;

/// <summary>Label values of <see cref="ServerMetrics.LimitsExceeded"/> and <see cref="ServerMetrics.AccessDenied"/>,
/// named once so dashboards and tests spell them as the server does.</summary>
internal static class MetricLabels
{
    public const string ConnectionsPerIp = "connections_per_ip";
    public const string ControlMessages = "control_messages";
    public const string SymbolsPerClient = "symbols_per_client";
    public const string HandshakeTimeout = "handshake_timeout";
    public const string QueuedBytes = "queued_bytes";

    public const string MissingToken = "missing_token";
    public const string InvalidToken = "invalid_token";
    public const string ExpiredToken = "expired_token";
    public const string ForbiddenOrigin = "forbidden_origin";
    public const string TokenExpiredInSession = "token_expired_in_session";
    public const string OtherSubject = "other_subject";
}
