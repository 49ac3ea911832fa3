using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.Http;

namespace PriceFeed.Server.Security;

/// <summary>Closes an HTTP connection that does not complete a request in time (slowloris, half-sent requests).</summary>
/// <remarks>
/// The clock starts when the connection opens and again after each request, so an idle
/// keep-alive connection is closed after the same time. It leaves the pipeline with the other
/// HTTP handlers after a WebSocket upgrade. Runs on the channel's event loop.
/// </remarks>
internal sealed class HttpTimeoutHandler : ChannelHandlerAdapter
{
    private readonly TimeSpan _timeout;
    private readonly Action? _onTimeout;
    private IScheduledTask? _timer;

    /// <param name="timeout">Time allowed for each request.</param>
    /// <param name="onTimeout">Called when a connection is closed for taking too long, for metrics.</param>
    public HttpTimeoutHandler(TimeSpan timeout, Action? onTimeout = null)
    {
        _timeout = timeout;
        _onTimeout = onTimeout;
    }

    public override void HandlerAdded(IChannelHandlerContext context)
    {
        if (context.Channel.Active)
        {
            Arm(context);
        }
    }

    public override void ChannelActive(IChannelHandlerContext context)
    {
        Arm(context);
        context.FireChannelActive();
    }

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is HttpRequest)
        {
            Arm(context);
        }

        context.FireChannelRead(message);
    }

    public override void HandlerRemoved(IChannelHandlerContext context) => _timer?.Cancel();

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _timer?.Cancel();
        context.FireChannelInactive();
    }

    private void Arm(IChannelHandlerContext context)
    {
        _timer?.Cancel();
        _timer = context.Executor.Schedule(static (h, c) => ((HttpTimeoutHandler)h).Expire((IChannelHandlerContext)c), this, context, _timeout);
    }

    private void Expire(IChannelHandlerContext context)
    {
        _onTimeout?.Invoke();
        context.CloseAsync();
    }
}
