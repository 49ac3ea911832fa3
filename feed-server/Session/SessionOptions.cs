using PriceFeed.Server.Security;

namespace PriceFeed.Server.Session;

/// <summary>What a connection is told in <c>hello</c>, who may open one, and the limits of its WebSocket pipeline.</summary>
/// <remarks>Built by the host from its validated options; the defaults and their reasons are the host's
/// (<c>FeedServerLimits</c>), so none is repeated here. Immutable.</remarks>
internal sealed record SessionOptions
{
    /// <summary><c>--policy</c>, as announced in <c>hello</c>.</summary>
    public required string Policy { get; init; }

    /// <summary><c>--max-symbols-per-client</c>, as announced in <c>hello</c>.</summary>
    public required int MaxSymbolsPerClient { get; init; }

    /// <summary><c>--heartbeat-ms</c>: the server's ping interval, announced in <c>hello</c>.</summary>
    public required int HeartbeatIntervalMs { get; init; }

    /// <summary><c>--close-timeout-ms</c>.</summary>
    public required int CloseTimeoutMs { get; init; }

    /// <summary><c>--max-message-bytes</c>.</summary>
    public required int MaxMessageBytes { get; init; }

    /// <summary><c>--control-messages-per-second</c>.</summary>
    public required int ControlMessagesPerSecond { get; init; }

    /// <summary><c>--control-burst</c>.</summary>
    public required int ControlBurst { get; init; }

    /// <summary><c>--allowed-origins</c>: the browser origins that may open the feed.</summary>
    public OriginPolicy AllowedOrigins { get; init; } = OriginPolicy.Any;

    /// <summary>With <c>--auth-secret</c>, the validator every upgrade's token must pass; null: anyone may connect.</summary>
    public TokenValidator? Tokens { get; init; }
}
