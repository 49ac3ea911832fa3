using System.Diagnostics;
using DotNetty.Buffers;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>The control side of a WebSocket connection: answers Ping, notes signs of life, runs the closing
/// handshake both ways, and passes Text and Binary messages on to the next handler.</summary>
/// <remarks>
/// <para>Sits after <see cref="WebSocketFrameDecoder"/>; the <see cref="WebSocketFrameEncoder"/> must sit before
/// it (closer to the socket) so the frames it writes are encoded.</para>
/// <para>Close handshake (RFC 6455 5.5.1, 7.1): on the peer's Close we echo its code, unless we sent a Close
/// already, and close TCP (the server closes first, 7.1.1). A server-initiated close (<see cref="CloseAsync"/>,
/// <see cref="InitiateClose"/>, or any Close frame written through this handler) sends Close, stops passing
/// messages on, and closes TCP when the peer's Close arrives or after <see cref="WebSocketProtocolOptions.CloseTimeout"/>.
/// Once a Close is sent, every later frame written is dropped and released (5.5.1: no data after Close).</para>
/// <para>Runs on the channel's event loop; <see cref="LastActivityTicks"/> may be read from any thread.</para>
/// </remarks>
internal sealed class WebSocketProtocolHandler : ChannelDuplexHandler
{
    private readonly WebSocketProtocolOptions _options;
    private long _lastActivityTicks;
    private IScheduledTask? _closeTimeout;

    /// <summary>Creates the handler for one channel.</summary>
    public WebSocketProtocolHandler(WebSocketProtocolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _lastActivityTicks = Stopwatch.GetTimestamp();
    }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the last frame of any kind arrived (or the handler was made).</summary>
    public long LastActivityTicks => Volatile.Read(ref _lastActivityTicks);

    /// <summary>Whether a Close frame has been sent (or queued); no frame is written after it.</summary>
    public bool IsCloseSent { get; private set; }

    /// <summary>Whether the peer's Close frame has arrived.</summary>
    public bool IsCloseReceived { get; private set; }

    /// <summary>The status code of the peer's Close, null if none arrived or it carried no code.</summary>
    public ushort? PeerCloseStatus { get; private set; }

    /// <summary>Starts a server-initiated close on <paramref name="channel"/> from any thread.</summary>
    /// <returns>A task that completes when the channel is closed. Without this handler in the pipeline
    /// (before the upgrade, or after it left), the channel is simply closed.</returns>
    public static Task InitiateClose(IChannel channel, ushort code, string reason)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var context = channel.Pipeline.Context<WebSocketProtocolHandler>();
        if (context is null)
        {
            return channel.CloseAsync();
        }

        var handler = (WebSocketProtocolHandler)context.Handler;
        if (channel.EventLoop.InEventLoop)
        {
            return handler.CloseAsync(context, code, reason);
        }

        channel.EventLoop.Execute(() => handler.CloseAsync(context, code, reason));
        return channel.CloseCompletion;
    }

    /// <summary>Sends Close with <paramref name="code"/> and <paramref name="reason"/>, waits for the peer's Close
    /// up to <see cref="WebSocketProtocolOptions.CloseTimeout"/>, then closes TCP. Call on the event loop.</summary>
    /// <returns>A task that completes when the channel is closed.</returns>
    public Task CloseAsync(IChannelHandlerContext context, ushort code, string reason)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsCloseSent)
        {
            MarkCloseSent(context);
            context.WriteAndFlushAsync(WebSocketFrame.CloseFrame(code, reason)).ContinueWith(
                static (write, c) =>
                {
                    if (!write.IsCompletedSuccessfully)
                    {
                        ((IChannelHandlerContext)c!).CloseAsync();
                    }
                },
                context,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return context.Channel.CloseCompletion;
    }

    /// <inheritdoc/>
    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        if (message is not WebSocketFrame frame)
        {
            context.FireChannelRead(message);
            return;
        }

        // Any frame is a sign of life for the heartbeat.
        Volatile.Write(ref _lastActivityTicks, Stopwatch.GetTimestamp());
        switch (frame.Opcode)
        {
            case WebSocketOpcode.Ping when !IsCloseSent:
                // RFC 6455 5.5.2/5.5.3: answer with a Pong carrying the same application data; the Pong takes the buffer.
                context.WriteAndFlushAsync(WebSocketFrame.PongFrame(frame.Content));
                break;
            case WebSocketOpcode.Close:
                OnPeerClose(context, (CloseWebSocketFrame)frame);
                break;
            case WebSocketOpcode.Text or WebSocketOpcode.Binary when !IsCloseSent && !IsCloseReceived:
                context.FireChannelRead(frame);
                break;
            default:
                // RFC 6455 5.5.3: an unsolicited Pong needs no answer; and after a Close, messages are not delivered.
                frame.Release();
                break;
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(IChannelHandlerContext context, object message)
    {
        if (message is WebSocketFrame frame)
        {
            if (IsCloseSent)
            {
                // RFC 6455 5.5.1: after sending a Close, an endpoint MUST NOT send any further data frames.
                // Dropped quietly: the peer is leaving and the writer need not handle an error for it.
                frame.Release();
                return Task.CompletedTask;
            }

            if (frame.Opcode == WebSocketOpcode.Close)
            {
                MarkCloseSent(context);
            }
        }

        return context.WriteAsync(message);
    }

    /// <inheritdoc/>
    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _closeTimeout?.Cancel();
        _closeTimeout = null;
        context.FireChannelInactive();
    }

    private void OnPeerClose(IChannelHandlerContext context, CloseWebSocketFrame frame)
    {
        IsCloseReceived = true;
        PeerCloseStatus = frame.CloseStatus;
        if (IsCloseSent)
        {
            // Our Close was answered: the handshake is complete, and the server closes TCP first (RFC 6455 7.1.1).
            frame.Release();
            context.CloseAsync();
            return;
        }

        // RFC 6455 5.5.1: reply with a Close, typically echoing the status code received, then close TCP.
        // The decoder let through only codes valid on the wire, so echoing cannot send a forbidden one.
        CloseWebSocketFrame reply = PeerCloseStatus is { } code
            ? WebSocketFrame.CloseFrame(code, string.Empty)
            : new CloseWebSocketFrame(Unpooled.Empty);
        frame.Release();

        // The timeout also bounds a peer that stops reading before our Close is written.
        MarkCloseSent(context);
        context.WriteAndFlushAsync(reply).ContinueWith(
            static (_, c) => ((IChannelHandlerContext)c!).CloseAsync(),
            context,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void MarkCloseSent(IChannelHandlerContext context)
    {
        IsCloseSent = true;
        _closeTimeout = context.Executor.Schedule(static c => ((IChannelHandlerContext)c).CloseAsync(), context, _options.CloseTimeout);
    }
}
