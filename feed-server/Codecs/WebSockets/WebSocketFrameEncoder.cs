using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Common.Utilities;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Encodes server frames (RFC 6455 5.2): never masked (5.1), the FIN bit as in the frame, and the
/// shortest length form.</summary>
/// <remarks>
/// <para>A frame built with room in front of its payload (<see cref="WebSocketFrame.HasHeaderRoom"/>, as every
/// frame of quotes is) gets its 2-10 byte header written into that room and goes down the pipeline as one
/// buffer: one write, one promise and one entry in the socket's outbound buffer per frame. Any other frame
/// gets its header in a small pooled buffer followed by its own payload buffer, passed on and not copied, so a
/// payload shared by many writers is written as is.</para>
/// <para>A handler of its own rather than a <c>MessageToMessageEncoder</c>: that base class rents a list,
/// releases the frame and writes each output separately, the per-frame costs this class exists to avoid.
/// Stateless and sharable.</para>
/// </remarks>
internal sealed class WebSocketFrameEncoder : ChannelHandlerAdapter
{
    /// <summary>The longest header of a server frame: 2 bytes, then a 64-bit length (no mask key).</summary>
    public const int MaxHeaderBytes = 2 + sizeof(ulong);

    /// <summary>RFC 6455 5.2: a payload of up to 125 bytes has its length in the 7-bit field.</summary>
    private const int Max7BitLength = 125;

    /// <summary>RFC 6455 5.2: 126 in the 7-bit field announces a 16-bit length.</summary>
    private const byte Length16Marker = 126;

    /// <summary>RFC 6455 5.2: 127 in the 7-bit field announces a 64-bit length.</summary>
    private const byte Length64Marker = 127;

    private const byte FinBit = 0x80;

    /// <inheritdoc/>
    public override bool IsSharable => true;

    /// <summary>The length of the header of a frame with <paramref name="payloadLength"/> bytes of payload.</summary>
    public static int HeaderLength(int payloadLength) =>
        payloadLength <= Max7BitLength ? 2 : payloadLength <= ushort.MaxValue ? 2 + sizeof(ushort) : 2 + sizeof(ulong);

    /// <inheritdoc/>
    public override Task WriteAsync(IChannelHandlerContext context, object message)
    {
        if (message is not WebSocketFrame frame)
        {
            return context.WriteAsync(message);
        }

        var payload = frame.Content;
        var length = payload.ReadableBytes;

        // RFC 6455 5.5: control frames are at most 125 bytes and never fragmented; sending one would be our bug.
        if (frame.IsControl && (length > WebSocketFrameDecoder.MaxControlPayloadLength || !frame.IsFinal))
        {
            var error = new EncoderException($"Control frame {frame} breaks RFC 6455 5.5 (at most 125 bytes, FIN set).");
            ReferenceCountUtil.Release(frame);
            return Task.FromException(error);
        }

        var headerLength = HeaderLength(length);
        if (frame.HasHeaderRoom)
        {
            // The frame's reference to its payload passes to the channel with the payload itself.
            var start = payload.ReaderIndex - headerLength;
            WriteHeader(frame, length, payload, start);
            payload.SetReaderIndex(start);
            return context.WriteAsync(payload);
        }

        var header = context.Allocator.Buffer(headerLength);
        WriteHeader(frame, length, header, 0);
        header.SetWriterIndex(headerLength);
        if (length == 0)
        {
            payload.Release();
            return context.WriteAsync(header);
        }

        // A failed header write fails the connection, and with it the payload's write: the payload's task tells both.
        context.WriteAsync(header);
        return context.WriteAsync(payload);
    }

    /// <summary>Writes the header at <paramref name="index"/> of <paramref name="buffer"/> (DotNetty's set methods are big-endian, as RFC 6455 is).</summary>
    private static void WriteHeader(WebSocketFrame frame, int length, IByteBuffer buffer, int index)
    {
        buffer.SetByte(index, (frame.IsFinal ? FinBit : 0) | (byte)frame.Opcode);
        if (length <= Max7BitLength)
        {
            buffer.SetByte(index + 1, length);
        }
        else if (length <= ushort.MaxValue)
        {
            buffer.SetByte(index + 1, Length16Marker);
            buffer.SetShort(index + 2, length);
        }
        else
        {
            buffer.SetByte(index + 1, Length64Marker);
            buffer.SetLong(index + 2, length);
        }
    }
}
