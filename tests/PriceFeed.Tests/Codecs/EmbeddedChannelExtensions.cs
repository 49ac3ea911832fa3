using System.Text;
using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;

namespace PriceFeed.Tests.Codecs;

/// <summary>Reads what handlers under test wrote to an <see cref="EmbeddedChannel"/>.</summary>
internal static class EmbeddedChannelExtensions
{
    /// <summary>Every outbound buffer written so far, concatenated; each is released after reading.</summary>
    public static byte[] ReadAllOutboundBytes(this EmbeddedChannel channel)
    {
        channel.RunPendingTasks();
        var bytes = new List<byte>();
        while (channel.ReadOutbound<IByteBuffer>() is { } buffer)
        {
            var chunk = new byte[buffer.ReadableBytes];
            buffer.GetBytes(buffer.ReaderIndex, chunk);
            bytes.AddRange(chunk);
            Assert.True(buffer.Release(), "the outbound buffer should be released by its last reader");
        }

        return [.. bytes];
    }

    /// <summary>Every outbound byte so far, read as Latin-1 text (an HTTP response).</summary>
    public static string ReadAllOutboundText(this EmbeddedChannel channel) =>
        Encoding.Latin1.GetString(channel.ReadAllOutboundBytes());

    /// <summary>Writes <paramref name="bytes"/> inbound as one buffer and returns it, to check it was released.</summary>
    public static IByteBuffer WriteInboundBytes(this EmbeddedChannel channel, ReadOnlySpan<byte> bytes)
    {
        var buffer = Unpooled.Buffer(bytes.Length);
        buffer.WriteBytes(bytes.ToArray());
        channel.WriteInbound(buffer);
        channel.RunPendingTasks();
        return buffer;
    }
}
