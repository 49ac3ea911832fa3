namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Frame opcodes defined by RFC 6455 section 5.2; every other value is reserved.</summary>
internal enum WebSocketOpcode : byte
{
    /// <summary>A later fragment of a fragmented data message (RFC 6455 5.4).</summary>
    Continuation = 0x0,

    /// <summary>A message of UTF-8 text (RFC 6455 5.6).</summary>
    Text = 0x1,

    /// <summary>A message of arbitrary bytes (RFC 6455 5.6).</summary>
    Binary = 0x2,

    /// <summary>Starts or answers the closing handshake (RFC 6455 5.5.1).</summary>
    Close = 0x8,

    /// <summary>Asks the peer for a Pong with the same payload (RFC 6455 5.5.2).</summary>
    Ping = 0x9,

    /// <summary>Answers a Ping, or serves as an unsolicited heartbeat (RFC 6455 5.5.3).</summary>
    Pong = 0xA,
}
