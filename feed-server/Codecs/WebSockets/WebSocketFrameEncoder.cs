using System.Runtime.CompilerServices;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Encodes server frames (RFC 6455 5.2): never masked (5.1), the FIN bit as in the frame, and the
/// shortest length form.</summary>
/// <remarks>The 2-10 byte header goes in a small pooled buffer followed by the frame's own payload buffer,
/// retained and not copied: a quote batch shared by many subscribers is written as is. Stateless and sharable.</remarks>
internal sealed class WebSocketFrameEncoder : MessageToMessageEncoder<WebSocketFrame>
{
    /// <summary>RFC 6455 5.2: a payload of up to 125 bytes has its length in the 7-bit field.</summary>
    private const int Max7BitLength = 125;

    /// <summary>RFC 6455 5.2: 126 in the 7-bit field announces a 16-bit length.</summary>
    private const byte Length16Marker = 126;

    /// <summary>RFC 6455 5.2: 127 in the 7-bit field announces a 64-bit length.</summary>
    private const byte Length64Marker = 127;

    private const byte FinBit = 0x80;

    /// <inheritdoc/>
    public override bool IsSharable => true;

    /// <inheritdoc/>
    protected override void Encode(IChannelHandlerContext context, WebSocketFrame message, List<object> output)
    {
        var payload = message.Content;
        var length = payload.ReadableBytes;

        // RFC 6455 5.5: control frames are at most 125 bytes and never fragmented; sending one would be our bug.
        if (message.IsControl && (length > WebSocketFrameDecoder.MaxControlPayloadLength || !message.IsFinal))
        {
            ThrowInvalidControlFrame(message);
        }

        var headerLength = length <= Max7BitLength ? 2 : length <= ushort.MaxValue ? 2 + sizeof(ushort) : 2 + sizeof(ulong);
        var header = context.Allocator.Buffer(headerLength);
        header.WriteByte((message.IsFinal ? FinBit : 0) | (byte)message.Opcode);
        if (length <= Max7BitLength)
        {
            header.WriteByte(length);
        }
        else if (length <= ushort.MaxValue)
        {
            header.WriteByte(Length16Marker);
            header.WriteShort(length);
        }
        else
        {
            header.WriteByte(Length64Marker);
            header.WriteLong(length);
        }

        output.Add(header);
        if (length > 0)
        {
            // The base class releases the frame after Encode: keep the payload alive for the write.
            output.Add(payload.Retain());
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidControlFrame(WebSocketFrame frame) =>
        throw new EncoderException($"Control frame {frame} breaks RFC 6455 5.5 (at most 125 bytes, FIN set).");
}
