using DotNetty.Buffers;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Transport;

/// <summary>Counts bytes in and out at the socket, first in the pipeline. Shared by every channel.</summary>
internal sealed class TrafficCounterHandler : ChannelDuplexHandler
{
    private readonly ServerMetrics _metrics;

    public TrafficCounterHandler(ServerMetrics metrics) => _metrics = metrics;

    public override bool IsSharable => true;

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is IByteBuffer buffer)
        {
            _metrics.BytesIn.Inc(buffer.ReadableBytes);
        }

        context.FireChannelRead(message);
    }

    public override Task WriteAsync(IChannelHandlerContext context, object message)
    {
        if (message is IByteBuffer buffer)
        {
            _metrics.BytesOut.Inc(buffer.ReadableBytes);
        }

        return context.WriteAsync(message);
    }
}
