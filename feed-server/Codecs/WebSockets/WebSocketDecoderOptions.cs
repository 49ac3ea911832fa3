namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Limits and hooks of <see cref="WebSocketFrameDecoder"/>.</summary>
/// <param name="MaxMessageBytes">Largest client message, all fragments together; larger closes with 1009.
/// 64 KiB: a client only sends subscribe, unsubscribe and ping, and a subscribe naming 500 symbols is about
/// 6 KiB, so this leaves ten times that headroom while bounding what one connection can make us buffer.</param>
/// <param name="OnProtocolError">Called with the close code when the decoder fails the connection, for metrics.</param>
internal sealed record WebSocketDecoderOptions(int MaxMessageBytes = 65536, Action<ushort>? OnProtocolError = null)
{
    /// <summary>How long to wait for the Close frame to be written after a protocol error before closing anyway.
    /// 3 s: a healthy peer drains a 2-byte frame in well under a round trip; a stuck one must not hold the socket.</summary>
    public TimeSpan CloseWriteTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws with the name of the setting to change when a value is out of range.</summary>
    public WebSocketDecoderOptions Validate()
    {
        if (MaxMessageBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), MaxMessageBytes, "WebSocketDecoderOptions.MaxMessageBytes must be 0 or more.");
        }

        if (CloseWriteTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CloseWriteTimeout), CloseWriteTimeout, "WebSocketDecoderOptions.CloseWriteTimeout must be positive.");
        }

        return this;
    }
}
