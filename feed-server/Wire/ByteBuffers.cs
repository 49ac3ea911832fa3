using System.Runtime.InteropServices;
using DotNetty.Buffers;

namespace PriceFeed.Server.Wire;

/// <summary>Span views of DotNetty buffers, which (in 0.7) expose arrays and pinned addresses but no spans.</summary>
internal static class ByteBuffers
{
    /// <summary>
    /// The next <paramref name="length"/> writable bytes of <paramref name="buffer"/>, growing it if
    /// needed. The writer index does not move: advance it by what was written.
    /// </summary>
    public static unsafe Span<byte> WritableSpan(IByteBuffer buffer, int length)
    {
        buffer.EnsureWritable(length);
        if (buffer.HasArray)
        {
            return buffer.Array.AsSpan(buffer.ArrayOffset + buffer.WriterIndex, length);
        }

        // A direct (pinned) buffer: its memory does not move while the buffer is alive.
        return new Span<byte>((byte*)buffer.AddressOfPinnedMemory() + buffer.WriterIndex, length);
    }

    /// <summary>The readable bytes of <paramref name="buffer"/> as one span, copying only when the buffer is in pieces.</summary>
    public static unsafe ReadOnlySpan<byte> ReadableBytes(IByteBuffer buffer)
    {
        if (buffer.HasArray)
        {
            return buffer.Array.AsSpan(buffer.ArrayOffset + buffer.ReaderIndex, buffer.ReadableBytes);
        }

        if (buffer.HasMemoryAddress)
        {
            return new ReadOnlySpan<byte>((byte*)buffer.AddressOfPinnedMemory() + buffer.ReaderIndex, buffer.ReadableBytes);
        }

        var copy = new byte[buffer.ReadableBytes];
        buffer.GetBytes(buffer.ReaderIndex, copy);
        return copy;
    }
}
