namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>The close codes of RFC 6455 and the IANA registry that the server sends, and the RFC 6455 rule for which
/// codes may travel in a Close frame.</summary>
/// <remarks>Names follow RFC 6455 section 7.4.1 and the IANA "WebSocket Close Code Number" registry. Codes of an
/// application (the 4000-4999 private-use range) belong to it, not to the codec: PriceFeed's are in <c>Wire/</c>.</remarks>
internal static class WebSocketCloseStatus
{
    /// <summary>1000: the purpose of the connection is fulfilled.</summary>
    public const ushort NormalClosure = 1000;

    /// <summary>1001: the server is shutting down.</summary>
    public const ushort GoingAway = 1001;

    /// <summary>1002: the peer broke RFC 6455 framing rules.</summary>
    public const ushort ProtocolError = 1002;

    /// <summary>1003: a frame type the subprotocol does not use (text on the binary subprotocol, or the reverse).</summary>
    public const ushort UnsupportedData = 1003;

    /// <summary>1007: a payload inconsistent with its type: invalid UTF-8 in text, an unparsable message.</summary>
    public const ushort InvalidPayloadData = 1007;

    /// <summary>1008: a policy was violated: authentication, rate limit, expired token.</summary>
    public const ushort PolicyViolation = 1008;

    /// <summary>1009: a message larger than the configured limit.</summary>
    public const ushort MessageTooBig = 1009;

    /// <summary>1011: the server met an unexpected condition.</summary>
    public const ushort InternalServerError = 1011;

    /// <summary>1013: the server is full; try again later (IANA registry).</summary>
    public const ushort TryAgainLater = 1013;

    /// <summary>Whether <paramref name="code"/> may appear in the payload of a Close frame.</summary>
    /// <remarks>RFC 6455 7.4.1 and 7.4.2: below 1000 is unused; 1004 is reserved; 1005, 1006 and 1015 are
    /// for reporting only and MUST NOT be sent; 1016-2999 are reserved for future revisions of the protocol;
    /// 3000-3999 are registered with IANA and 4000-4999 are private use, so both are accepted.
    /// Of 1000-1015, the defined codes are 1000-1003 and 1007-1011 (RFC 6455) and 1012-1014 (IANA registry).</remarks>
    public static bool IsValidOnWire(ushort code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
