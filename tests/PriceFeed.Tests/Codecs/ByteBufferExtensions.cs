using DotNetty.Buffers;

namespace PriceFeed.Tests.Codecs;

internal static class ByteBufferExtensions
{
    /// <summary>A copy of the readable bytes, leaving the buffer and its indexes untouched.</summary>
    public static byte[] ReadableToArray(this IByteBuffer buffer)
    {
        var bytes = new byte[buffer.ReadableBytes];
        buffer.GetBytes(buffer.ReaderIndex, bytes);
        return bytes;
    }
}
