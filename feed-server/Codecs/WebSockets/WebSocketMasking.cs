using System.Runtime.InteropServices;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>The client-to-server masking of RFC 6455 section 5.3: byte i of the payload is XORed with byte
/// (i mod 4) of the 32-bit masking key.</summary>
internal static class WebSocketMasking
{
    /// <summary>Unmasks (or masks: XOR is its own inverse) <paramref name="payload"/> in place.</summary>
    /// <param name="payload">Bytes of one frame's payload, possibly a middle slice of it.</param>
    /// <param name="maskKey">The key's four bytes in wire order, byte 0 in the lowest 8 bits.</param>
    /// <param name="maskOffset">Position of <paramref name="payload"/>[0] within the frame's payload, mod 4.</param>
    /// <returns>The offset, mod 4, of the byte after <paramref name="payload"/>, for the next slice.</returns>
    public static int Apply(Span<byte> payload, uint maskKey, int maskOffset)
    {
        // Eight key bytes lined up with payload[0]: then whole 64-bit words are XORed at once.
        Span<byte> key = stackalloc byte[sizeof(ulong)];
        for (var k = 0; k < key.Length; k++)
        {
            key[k] = (byte)(maskKey >> (8 * ((maskOffset + k) & 3)));
        }

        var key64 = MemoryMarshal.Read<ulong>(key);
        var i = 0;
        for (; i + sizeof(ulong) <= payload.Length; i += sizeof(ulong))
        {
            var word = MemoryMarshal.Read<ulong>(payload[i..]) ^ key64;
            MemoryMarshal.Write(payload[i..], in word);
        }

        for (; i < payload.Length; i++)
        {
            payload[i] ^= key[i & 7];
        }

        return (maskOffset + payload.Length) & 3;
    }
}
