using System.Text;
using DotNetty.Buffers;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>A Close frame: an optional status code followed by an optional UTF-8 reason (RFC 6455 5.5.1).</summary>
internal sealed class CloseWebSocketFrame : WebSocketFrame
{
    /// <summary>Room for the reason: a control payload is at most 125 bytes, 2 of them the code (RFC 6455 5.5).</summary>
    public const int MaxReasonBytes = WebSocketFrameDecoder.MaxControlPayloadLength - 2;

    /// <summary>A Close frame with <paramref name="code"/> and <paramref name="reason"/>, the reason cut at a
    /// character boundary to <see cref="MaxReasonBytes"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> may not be sent (see
    /// <see cref="WebSocketCloseStatus.IsValidOnWire"/>).</exception>
    public CloseWebSocketFrame(ushort code, string reason)
        : base(WebSocketOpcode.Close, true, EncodePayload(code, reason))
    {
    }

    /// <summary>Wraps an already validated payload: empty, or a code and a UTF-8 reason.</summary>
    public CloseWebSocketFrame(IByteBuffer content)
        : base(WebSocketOpcode.Close, true, content)
    {
    }

    /// <summary>The status code, or null when the payload is empty (reported as 1005 by RFC 6455 7.1.5).</summary>
    public ushort? CloseStatus => Content.ReadableBytes >= 2 ? Content.GetUnsignedShort(Content.ReaderIndex) : null;

    /// <summary>The reason text, empty when none was sent.</summary>
    public string Reason => Content.ReadableBytes > 2
        ? Content.GetString(Content.ReaderIndex + 2, Content.ReadableBytes - 2, Encoding.UTF8)
        : string.Empty;

    /// <inheritdoc/>
    public override IByteBufferHolder Replace(IByteBuffer content) => new CloseWebSocketFrame(content);

    /// <inheritdoc/>
    public override string ToString() => $"Close({CloseStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"}, \"{Reason}\")";

    private static IByteBuffer EncodePayload(ushort code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (!WebSocketCloseStatus.IsValidOnWire(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "RFC 6455 7.4 forbids sending this close code; use one of WebSocketCloseStatus or 3000-4999.");
        }

        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var length = reasonBytes.Length;
        if (length > MaxReasonBytes)
        {
            // Cut before a continuation byte so the reason stays valid UTF-8 (RFC 6455 5.5.1).
            length = MaxReasonBytes;
            while (length > 0 && (reasonBytes[length] & 0xC0) == 0x80)
            {
                length--;
            }
        }

        var payload = ByteBufferUtil.DefaultAllocator.HeapBuffer(2 + length);
        payload.WriteShort(code);
        payload.WriteBytes(reasonBytes, 0, length);
        return payload;
    }
}
