using System.Diagnostics;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Security;

/// <summary>Closes with 1008 a client that sends messages faster than <c>--control-messages-per-second</c>
/// (a <see cref="TokenBucket"/> of <c>--control-burst</c>).</summary>
/// <remarks>
/// <para>Sits between <see cref="WebSocketFrameDecoder"/> and <see cref="WebSocketProtocolHandler"/>, so every
/// frame a client can make the server work for counts: subscribe, unsubscribe and ping messages, and WebSocket
/// Ping and Pong frames (a Ping costs us a Pong). A Close does not count: it must always get through.</para>
/// <para>Past the limit the frame is dropped, the close handshake starts with 1008 (docs/protocol.md, "Close codes":
/// policy), and every later frame is dropped until the connection is gone. Runs on the channel's event
/// loop; one instance per channel.</para>
/// </remarks>
internal sealed class MessageRateLimitHandler : ChannelHandlerAdapter
{
    private readonly ServerMetrics _metrics;
    private TokenBucket _bucket;
    private bool _tripped;

    public MessageRateLimitHandler(int ratePerSecond, int burst, ServerMetrics metrics)
    {
        _bucket = new TokenBucket(ratePerSecond, burst, Stopwatch.GetTimestamp());
        _metrics = metrics;
    }

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is not WebSocketFrame frame || frame.Opcode == WebSocketOpcode.Close)
        {
            context.FireChannelRead(message);
            return;
        }

        if (!_tripped && _bucket.TryTake(Stopwatch.GetTimestamp()))
        {
            context.FireChannelRead(frame);
            return;
        }

        frame.Release();
        if (_tripped)
        {
            return;
        }

        _tripped = true;
        _metrics.LimitsExceeded.WithLabels(MetricLabels.ControlMessages).Inc();
        _metrics.Closes.WithLabels("1008").Inc();
        WebSocketProtocolHandler.InitiateClose(
            context.Channel,
            WebSocketCloseStatus.PolicyViolation,
            $"rate limit: more than {_bucket.RatePerSecond} messages per second");
    }
}
