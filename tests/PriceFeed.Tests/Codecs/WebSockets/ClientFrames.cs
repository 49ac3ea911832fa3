using System.Buffers.Binary;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Tests.Codecs.WebSockets;

/// <summary>Builds frames as a client sends them (RFC 6455 5.2), with control over every header bit.</summary>
internal static class ClientFrames
{
    /// <summary>The masking key used by the tests: distinct bytes, so a mask applied at a wrong offset shows.</summary>
    public static readonly byte[] MaskKey = [0x37, 0xFA, 0x21, 0x3D];

    /// <summary>A masked frame in the shortest length form.</summary>
    public static byte[] Frame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin = true) =>
        Raw((byte)((fin ? 0x80 : 0) | (byte)opcode), payload, masked: true);

    /// <summary>A final masked Close frame with <paramref name="code"/> and raw reason bytes.</summary>
    public static byte[] Close(ushort code, ReadOnlySpan<byte> reason)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return Frame(WebSocketOpcode.Close, payload);
    }

    /// <summary>A frame with the first header byte as given and the payload masked or not.</summary>
    public static byte[] Raw(byte firstByte, ReadOnlySpan<byte> payload, bool masked)
    {
        var header = new List<byte> { firstByte };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        if (masked)
        {
            header.AddRange(MaskKey);
        }

        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header.Count + i] = masked ? (byte)(payload[i] ^ MaskKey[i % 4]) : payload[i];
        }

        return frame;
    }

    /// <summary>Deterministic payload bytes of any length.</summary>
    public static byte[] Payload(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)((i * 31) + 7);
        }

        return payload;
    }
}
