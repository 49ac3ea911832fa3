using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;
using PriceFeed.Simulation;

namespace PriceFeed.Server.Session;

/// <summary>One client's conversation: hello, then subscribe/unsubscribe/ping in, answers and quotes out.</summary>
/// <remarks>
/// The last handler of an upgraded pipeline; runs on the channel's event loop only. A message of
/// the wrong frame type closes with 1003, an unparsable or unknown one gets an <c>error</c> and
/// closes with 1007 (docs/protocol.md, "Close codes"). With tokens, the session ends with 1008 when its
/// token expires (<see cref="ClientIdentity.ValidUntil"/>), by one timer per session.
/// </remarks>
internal sealed class FeedSessionHandler : SimpleChannelInboundHandler<WebSocketFrame>
{
    private readonly ISessionHost _host;
    private readonly ClientProtocol _protocol;
    private readonly ClientIdentity _identity;
    private IChannelHandlerContext? _context;
    private ClientSession? _session;
    private IScheduledTask? _expiryTimer;

    public FeedSessionHandler(ISessionHost host, ClientProtocol protocol, ClientIdentity? identity = null)
    {
        _host = host;
        _protocol = protocol;
        _identity = identity ?? ClientIdentity.Anonymous;
    }

    /// <summary>The fan-out side of this session: its send queue and subscriptions.</summary>
    public ClientSession Session => _session ?? throw new InvalidOperationException("The session handler is not in a pipeline.");

    public ClientProtocol Protocol => _protocol;

    public override void HandlerAdded(IChannelHandlerContext context)
    {
        _context = context;
        _session = _host.OpenSession(context, _protocol, _identity.Entitlements);
        if (_identity.Subject is { } subject)
        {
            // Who, from where, licensed for what: enough to audit a session, nothing that could replay it.
            _host.Logger.LogDebug(
                "Session for {Subject} from {Remote}, symbols {Entitlements}, until {ValidUntil:O}",
                subject, context.Channel.RemoteAddress, _identity.Entitlements, _identity.ValidUntil);
        }

        if (_identity.ValidUntil is { } validUntil)
        {
            // A past deadline (a token accepted within the clock skew) gives a zero delay: closed right after hello.
            var delay = validUntil - DateTimeOffset.UtcNow;
            _expiryTimer = context.Executor.Schedule(
                static s => ((FeedSessionHandler)s).OnTokenExpired(), this, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        }

        _host.Metrics.WebSocketSessionsOpen.Inc();
        Send(new ServerMessage
        {
            Hello = new Hello
            {
                ServerId = _host.ServerId,
                Protocol = _protocol.Name,
                HeartbeatIntervalMs = (uint)_host.Limits.HeartbeatIntervalMs,
                MaxSymbolsPerClient = (uint)_host.MaxSymbolsPerClient,
                SlowConsumerPolicy = _host.Policy,
            },
        });
    }

    public override void ChannelWritabilityChanged(IChannelHandlerContext context)
    {
        // The socket took what was buffered: resume sending what the queue kept meanwhile.
        if (context.Channel.IsWritable)
        {
            _session?.Drain();
        }

        context.FireChannelWritabilityChanged();
    }

    public override void HandlerRemoved(IChannelHandlerContext context) => _expiryTimer?.Cancel();

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _expiryTimer?.Cancel();
        _host.Metrics.WebSocketSessionsOpen.Dec();
        _host.SessionClosed(this);
        context.FireChannelInactive();
    }

    protected override void ChannelRead0(IChannelHandlerContext context, WebSocketFrame frame)
    {
        _host.Metrics.FramesIn.Inc();
        if (frame.Opcode != _protocol.Opcode)
        {
            // docs/protocol.md, "Close codes": 1003 for the wrong frame type for the subprotocol.
            Close(WebSocketCloseStatus.UnsupportedData, $"{_protocol.Name} takes {_protocol.Opcode.ToString().ToLowerInvariant()} frames");
            return;
        }

        if (!_protocol.TryDecode(frame.Content, out var message, out var error))
        {
            Send(new ServerMessage { Error = new Error { Code = WebSocketCloseStatus.InvalidPayloadData, Message = error } });
            Close(WebSocketCloseStatus.InvalidPayloadData, "invalid message");
            return;
        }

        switch (message!.BodyCase)
        {
            case ClientMessage.BodyOneofCase.Ping:
                Send(new ServerMessage
                {
                    Pong = new Pong { ClientTimeNs = message.Ping.ClientTimeNs, ServerTimeNs = UnixTime.NowNs() },
                });
                break;
            case ClientMessage.BodyOneofCase.Subscribe:
                _host.Subscribe(this, message.Subscribe);
                break;
            case ClientMessage.BodyOneofCase.Unsubscribe:
                _host.Unsubscribe(this, message.Unsubscribe);
                break;
        }
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        _host.Logger.LogWarning(exception, "Session {Remote} failed; closing with 1011", context.Channel.RemoteAddress);
        Close(WebSocketCloseStatus.InternalServerError, "internal error");
    }

    /// <summary>Writes a control message at once, ahead of any quotes still queued. Event loop only.</summary>
    public void Send(ServerMessage message)
    {
        if (_context is null)
        {
            return;
        }

        _host.Metrics.FramesOut.Inc();
        _context.WriteAndFlushAsync(_protocol.Encode(message, _context.Allocator));
    }

    private void OnTokenExpired()
    {
        _expiryTimer = null;
        if (_context is null || !_context.Channel.Active)
        {
            return;
        }

        // docs/protocol.md, "Tokens": a token that expires during the connection closes it with 1008.
        _host.Metrics.AccessDenied.WithLabels(MetricLabels.TokenExpiredInSession).Inc();
        Close(WebSocketCloseStatus.PolicyViolation, "token expired");
    }

    /// <summary>Starts the close handshake with <paramref name="code"/>.</summary>
    public void Close(ushort code, string reason)
    {
        if (_context is not null)
        {
            _host.Metrics.Closes.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            WebSocketProtocolHandler.InitiateClose(_context.Channel, code, reason);
        }
    }
}
