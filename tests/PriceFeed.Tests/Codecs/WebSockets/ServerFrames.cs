using System.Buffers.Binary;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Tests.Codecs.WebSockets;

/// <summary>Reads the unmasked frames a server wrote (RFC 6455 5.2), strictly.</summary>
internal static class ServerFrames
{
    /// <summary>Splits <paramref name="bytes"/> into frames; fails the test on a masked or truncated frame.</summary>
    public static List<(WebSocketOpcode Opcode, bool Fin, byte[] Payload)> Parse(byte[] bytes)
    {
        var frames = new List<(WebSocketOpcode, bool, byte[])>();
        var i = 0;
        while (i < bytes.Length)
        {
            var fin = (bytes[i] & 0x80) != 0;
            var opcode = (WebSocketOpcode)(bytes[i] & 0x0F);
            Assert.Equal(0, bytes[i] & 0x70);
            Assert.Equal(0, bytes[i + 1] & 0x80); // RFC 6455 5.1: server frames are not masked
            long length = bytes[i + 1] & 0x7F;
            i += 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(i));
                i += 2;
            }
            else if (length == 127)
            {
                length = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i));
                i += 8;
            }

            frames.Add((opcode, fin, bytes.AsSpan(i, (int)length).ToArray()));
            i += (int)length;
        }

        return frames;
    }

    /// <summary>The one Close frame in <paramref name="bytes"/>: its code (null when empty).</summary>
    public static ushort? SingleCloseCode(byte[] bytes)
    {
        var frame = Assert.Single(Parse(bytes));
        Assert.Equal(WebSocketOpcode.Close, frame.Opcode);
        return frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : null;
    }
}
