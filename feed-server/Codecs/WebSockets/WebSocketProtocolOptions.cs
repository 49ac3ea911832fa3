namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Settings of <see cref="WebSocketProtocolHandler"/>.</summary>
internal sealed record WebSocketProtocolOptions
{
    /// <summary>How long a server-initiated close waits for the peer's Close before closing TCP anyway.
    /// 3 s: many round trips even on a slow mobile link, short enough that shutdown is not held up.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws with the name of the setting to change when a value is out of range.</summary>
    public WebSocketProtocolOptions Validate()
    {
        if (CloseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CloseTimeout), CloseTimeout, "WebSocketProtocolOptions.CloseTimeout must be positive.");
        }

        return this;
    }
}
