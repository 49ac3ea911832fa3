using System.Diagnostics;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Server.Transport;

/// <summary>Pings the peer every heartbeat interval and closes a peer silent for two intervals.</summary>
/// <remarks>
/// "Silent" means no frame of any kind arrived (<see cref="WebSocketProtocolHandler.LastActivityTicks"/>):
/// a pong, a ping or a message all count. The interval is announced in <c>hello</c> so clients can
/// also detect a dead server. Runs on the channel's event loop.
/// </remarks>
internal sealed class HeartbeatHandler : ChannelHandlerAdapter
{
    private readonly TimeSpan _interval;
    private readonly WebSocketProtocolHandler _protocol;
    private IScheduledTask? _timer;

    public HeartbeatHandler(TimeSpan interval, WebSocketProtocolHandler protocol)
    {
        _interval = interval;
        _protocol = protocol;
    }

    public override void HandlerAdded(IChannelHandlerContext context) => Schedule(context);

    public override void HandlerRemoved(IChannelHandlerContext context) => _timer?.Cancel();

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _timer?.Cancel();
        context.FireChannelInactive();
    }

    private void Schedule(IChannelHandlerContext context) =>
        _timer = context.Executor.Schedule(static (h, c) => ((HeartbeatHandler)h).Beat((IChannelHandlerContext)c), this, context, _interval);

    private void Beat(IChannelHandlerContext context)
    {
        if (!context.Channel.Active || _protocol.IsCloseSent)
        {
            return;
        }

        var silent = Stopwatch.GetElapsedTime(_protocol.LastActivityTicks);
        if (silent > 2 * _interval)
        {
            // The peer is gone or stuck: a close handshake would only wait for it in vain.
            context.CloseAsync();
            return;
        }

        // The payload is the server's monotonic clock (big-endian), echoed back in the pong.
        var payload = context.Allocator.Buffer(8);
        payload.WriteLong(Stopwatch.GetTimestamp());
        context.WriteAndFlushAsync(WebSocketFrame.PingFrame(payload));
        Schedule(context);
    }
}
