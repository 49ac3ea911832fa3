using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Session;

/// <summary>One client's conversation: hello, then subscribe/unsubscribe/ping/auth in, answers and quotes out; the
/// use cases a client triggers (subscribe, unsubscribe, ping) are read here, one method each, and a token refresh
/// (auth) in <c>FeedSessionHandler.Auth.cs</c>.</summary>
/// <remarks>
/// The last handler of an upgraded pipeline; runs on the channel's event loop only. A message of
/// the wrong frame type closes with 1003, an unparsable or unknown one gets an <c>error</c> and
/// closes with 1007 (docs/protocol.md, "Close codes"). With tokens, the session ends with 1008 when its
/// token expires (<see cref="ClientIdentity.ValidUntil"/>, the token's <c>exp</c>), by one timer per session that a
/// refreshed token reschedules.
/// </remarks>
internal sealed partial class FeedSessionHandler : SimpleChannelInboundHandler<WebSocketFrame>
{
    private readonly SessionContext _sessions;
    private readonly ClientProtocol _protocol;
    private ClientIdentity _identity;
    private IChannelHandlerContext? _context;
    private ClientSession? _session;
    private IScheduledTask? _expiryTimer;

    public FeedSessionHandler(SessionContext sessions, ClientProtocol protocol, ClientIdentity? identity = null)
    {
        _sessions = sessions;
        _protocol = protocol;
        _identity = identity ?? ClientIdentity.Anonymous;
    }

    /// <summary>The fan-out side of this session: its send queue and subscriptions.</summary>
    public ClientSession Session => _session ?? throw new InvalidOperationException("The session handler is not in a pipeline.");

    public ClientProtocol Protocol => _protocol;

    public override void HandlerAdded(IChannelHandlerContext context)
    {
        _context = context;
        _session = _sessions.Fanout.Open(context, _protocol.IsJson, _identity.Entitlements);
        if (_identity.Subject is { } subject)
        {
            // Who, from where, licensed for what: enough to audit a session, nothing that could replay it.
            _sessions.Logger.LogDebug(
                "Session for {Subject} from {Remote}, symbols {Entitlements}, until {ValidUntil:O}",
                subject, context.Channel.RemoteAddress, _identity.Entitlements, _identity.ValidUntil);
        }

        if (_identity.ValidUntil is { } validUntil)
        {
            ScheduleExpiry(context, validUntil);
        }

        _sessions.Metrics.WebSocketSessionsOpen.Inc();
        // Registered (Open) before the epoch is read: a change of epoch either shows here or reaches this session.
        Session.EpochChangedHello = SendHello;
        Session.SendControl = Send;
        SendHello();
        // docs/protocol.md, "Feed status": a client that connects while the source is unreachable learns it right away.
        if (_sessions.Server.Source.Status.Current is { Live: false } stale)
        {
            Send(new ServerMessage { Status = ClientSession.ToMessage(stale) });
        }
    }

    /// <summary>Says who we are and the source's current epoch: when the client connects, and again when the epoch
    /// changes (docs/protocol.md, "Epoch"). Event loop only.</summary>
    private void SendHello()
    {
        var epoch = _sessions.Server.Source.Epoch.Current;
        Session.HelloEpoch = epoch;
        Send(new ServerMessage
        {
            Hello = new Hello
            {
                ServerId = _sessions.Server.ServerId,
                Protocol = _protocol.Name,
                HeartbeatIntervalMs = (uint)_sessions.Options.HeartbeatIntervalMs,
                MaxSymbolsPerClient = (uint)_sessions.Options.MaxSymbolsPerClient,
                SlowConsumerPolicy = _sessions.Options.Policy,
                Epoch = epoch,
                // An empty epoch recovers nothing, so no depth is offered with it.
                ResumeDepth = epoch.Length == 0 ? 0 : (uint)(Session.History?.Depth ?? 0),
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
        _sessions.Metrics.WebSocketSessionsOpen.Dec();
        if (_session is not null)
        {
            // The client is gone: every trace of it leaves the registry.
            _sessions.Subscriptions.Closed(_session);
        }

        context.FireChannelInactive();
    }

    protected override void ChannelRead0(IChannelHandlerContext context, WebSocketFrame frame)
    {
        _sessions.Metrics.FramesIn.Inc();
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
                    Pong = new Pong { ClientTimeNs = message.Ping.ClientTimeNs, ServerTimeNs = UnixClock.NowNs() },
                });
                break;
            case ClientMessage.BodyOneofCase.Subscribe:
                OnSubscribe(message.Subscribe);
                break;
            case ClientMessage.BodyOneofCase.Unsubscribe:
                // Updates for those symbols stop at once; no answer.
                _sessions.Subscriptions.Unsubscribe(Session, message.Unsubscribe);
                break;
            case ClientMessage.BodyOneofCase.Auth:
                OnAuth(context, message.Auth);
                break;
            case ClientMessage.BodyOneofCase.SubscribeBars:
                OnSubscribeBars(message.SubscribeBars);
                break;
            case ClientMessage.BodyOneofCase.UnsubscribeBars:
                // Bars of those symbols stop at once; no answer.
                _sessions.Subscriptions.UnsubscribeBars(Session, message.UnsubscribeBars);
                break;
        }
    }

    /// <summary>The subscribe use case: the subscription service applies the rules and keeps the registry in step;
    /// the client gets <c>subscribe_result</c>, then the snapshot of the accepted symbols not recovered, then the
    /// recovered symbols' missed updates, then live quotes.</summary>
    private void OnSubscribe(Subscribe request)
    {
        var snapshot = new List<SymbolSubscription>();
        var result = _sessions.Subscriptions.Subscribe(Session, request, snapshot);
        // After the registry change: what the history read misses was offered live (SymbolHistory.TryCollect).
        var replays = _sessions.Subscriptions.Resume(Session, request, _sessions.Server.Source.Epoch.Current, snapshot, result);
        var overLimit = result.Rejected.Count(rejection => rejection.Reason == SubscriptionService.Limit);
        if (overLimit > 0)
        {
            _sessions.Metrics.LimitsExceeded.WithLabels(MetricLabels.SymbolsPerClient).Inc(overLimit);
        }

        Send(new ServerMessage { SubscribeResult = result });
        if (!request.SkipSnapshot)
        {
            Session.WriteSnapshot(snapshot);
        }

        // The recovered symbols' missed updates, before any of their live ones (docs/protocol.md, "Resume").
        Session.WriteReplays(replays);
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        _sessions.Logger.LogWarning(exception, "Session {Remote} failed; closing with 1011", context.Channel.RemoteAddress);
        Close(WebSocketCloseStatus.InternalServerError, "internal error");
    }

    /// <summary>Writes a control message at once, ahead of any quotes still queued. Event loop only.</summary>
    public void Send(ServerMessage message)
    {
        if (_context is null)
        {
            return;
        }

        _sessions.Metrics.FramesOut.Inc();
        _context.WriteAndFlushAsync(_protocol.Encode(message, _context.Allocator));
    }

    /// <summary>(Re)arms the one expiry timer of this session for <paramref name="expiresAt"/>. Event loop only.</summary>
    private void ScheduleExpiry(IChannelHandlerContext context, DateTimeOffset expiresAt)
    {
        _expiryTimer?.Cancel();
        // A past deadline (a token accepted within the clock skew at the handshake) gives a zero delay: closed right
        // after hello, since on an open connection the token ends at its exp (docs/protocol.md, "Tokens").
        var delay = expiresAt - DateTimeOffset.UtcNow;
        _expiryTimer = context.Executor.Schedule(
            static s => ((FeedSessionHandler)s).OnTokenExpired(), this, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
    }

    private void OnTokenExpired()
    {
        _expiryTimer = null;
        if (_context is null || !_context.Channel.Active)
        {
            return;
        }

        // docs/protocol.md, "Tokens": a token that expires during the connection closes it with 1008.
        _sessions.Metrics.AccessDenied.WithLabels(MetricLabels.TokenExpiredInSession).Inc();
        Close(WebSocketCloseStatus.PolicyViolation, "token expired");
    }

    /// <summary>Starts the close handshake with <paramref name="code"/>.</summary>
    public void Close(ushort code, string reason)
    {
        if (_context is not null)
        {
            _sessions.Metrics.Closes.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            WebSocketProtocolHandler.InitiateClose(_context.Channel, code, reason);
        }
    }
}
