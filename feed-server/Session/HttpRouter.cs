using System.Globalization;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;
using PriceFeed.Server.Transport;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Session;

/// <summary>Answers each HTTP request: the WebSocket upgrade at <c>/ws</c>, the JSON and metrics endpoints, the dashboard.</summary>
/// <remarks>
/// <para>GET and HEAD only (others: 405). A connection over the server's limits (in all, or from its
/// address) gets 503 for plain requests, and for an upgrade the 101 followed by close 1013, so WebSocket
/// clients see the contract's "server full" code. On a successful upgrade this handler swaps the HTTP
/// handlers for the WebSocket ones (<see cref="PipelineNames"/>).</para>
/// <para>An upgrade is checked in this order: the RFC 6455 handshake (400, 405, 426), the browser origin
/// (403, <see cref="OriginPolicy"/>), the token when <c>--auth-secret</c> is set (401, <see cref="TokenValidator"/>),
/// then the connection limits. The token check completes asynchronously: meanwhile the HTTP decoder is
/// suspended and reading paused, so nothing the client sent after its handshake is read as HTTP, and the
/// answer comes back on the event loop. Runs on the channel's event loop; one instance per connection, made by
/// the transport's first-handler factory.</para>
/// </remarks>
internal sealed class HttpRouter : SimpleChannelInboundHandler<HttpRequest>
{
    private static readonly KeyValuePair<string, string>[] s_allowGetHead = [new("Allow", "GET, HEAD")];
    private static readonly KeyValuePair<string, string>[] s_retryAfter = [new("Retry-After", "1")];

    // RFC 6750 3: a 401 names the scheme; 3.1: "invalid_token" when one was sent and refused.
    private static readonly KeyValuePair<string, string>[] s_bearerChallenge = [new("WWW-Authenticate", "Bearer realm=\"pricefeed\"")];
    private static readonly KeyValuePair<string, string>[] s_invalidTokenChallenge =
        [new("WWW-Authenticate", "Bearer realm=\"pricefeed\", error=\"invalid_token\"")];

    private readonly SessionContext _sessions;
    private readonly StatusEndpoints _endpoints;
    private readonly StaticFiles _files;
    private readonly ConnectionAdmission _admission;

    /// <param name="sessions">What the sessions this router opens share: settings, metrics, the log.</param>
    /// <param name="endpoints">The bodies of the status endpoints.</param>
    /// <param name="files">The dashboard's files.</param>
    /// <param name="admission">Whether this connection fits the connection limits.</param>
    public HttpRouter(SessionContext sessions, StatusEndpoints endpoints, StaticFiles files, ConnectionAdmission admission)
    {
        _sessions = sessions;
        _endpoints = endpoints;
        _files = files;
        _admission = admission;
    }

    private ServerMetrics Metrics => _sessions.Metrics;

    private bool OverLimit => _admission != ConnectionAdmission.Admitted;

    protected override void ChannelRead0(IChannelHandlerContext context, HttpRequest request)
    {
        var head = request.Method == "HEAD";
        if (!head && request.Method != "GET")
        {
            Respond(context, request, 405, "text/plain; charset=utf-8", "Only GET and HEAD are served.\n"u8.ToArray(), s_allowGetHead);
            return;
        }

        if (request.Path == "/ws")
        {
            Upgrade(context, request);
            return;
        }

        if (OverLimit)
        {
            Metrics.ConnectionsRefused.Inc();
            Respond(context, request, 503, "text/plain; charset=utf-8", "Server full; try again later.\n"u8.ToArray(), s_retryAfter, close: true);
            return;
        }

        switch (request.Path)
        {
            case "/api/symbols":
                Respond(context, request, 200, "application/json", _endpoints.SymbolsJson());
                break;
            case "/api/clients":
                Respond(context, request, 200, "application/json", _endpoints.ClientsJson());
                break;
            case "/healthz":
                Respond(context, request, 200, "application/json", _endpoints.HealthJson());
                break;
            case "/metrics":
                // The exporter is asynchronous; answer when it is done rather than block the event loop.
                _endpoints.MetricsTextAsync().ContinueWith(
                    t => Respond(context, request, 200, "text/plain; version=0.0.4; charset=utf-8", t.Result),
                    TaskContinuationOptions.OnlyOnRanToCompletion);
                break;
            default:
                if (_files.TryGet(request.Path, out var body, out var contentType))
                {
                    Respond(context, request, 200, contentType, body);
                }
                else
                {
                    Respond(context, request, 404, "text/plain; charset=utf-8", "Not found.\n"u8.ToArray());
                }

                break;
        }
    }

    private void Upgrade(IChannelHandlerContext context, HttpRequest request)
    {
        var result = WebSocketHandshake.Validate(request, FeedSubprotocols.All);
        if (!result.IsSuccess)
        {
            Metrics.CountProtocolError(result.Status);
            Metrics.HttpRequests.WithLabels(result.Status.ToString(CultureInfo.InvariantCulture)).Inc();
            WebSocketHandshake.WriteRejectionAsync(context, result, headOnly: request.Method == "HEAD");
            return;
        }

        if (!_sessions.Options.AllowedOrigins.Allows(request.Headers.Get("Origin")))
        {
            Refuse(context, request, 403, MetricLabels.ForbiddenOrigin, "This origin may not open the feed (--allowed-origins).", null);
            return;
        }

        var tokens = _sessions.Options.Tokens;
        if (tokens is null)
        {
            CompleteUpgrade(context, result, ClientIdentity.Anonymous);
            return;
        }

        var token = BearerToken.From(request);
        if (token is null)
        {
            Refuse(context, request, 401, MetricLabels.MissingToken, "A token is required: 'Authorization: Bearer <token>' or '?token=<token>'.", s_bearerChallenge);
            return;
        }

        // Hold everything after this request until the token is judged: the decoder must not read the
        // client's first frames as HTTP, and the socket need not be read meanwhile.
        context.Channel.Pipeline.Get<HttpRequestDecoder>()?.Suspend();
        context.Channel.Configuration.AutoRead = false;
        tokens.ValidateAsync(token).ContinueWith(
            (check, _) => OnTokenChecked(context, request, result, check),
            null,
            CancellationToken.None,
            TaskContinuationOptions.None,
            new ExecutorTaskScheduler(context.Executor));
    }

    /// <summary>The token check is done; back on the channel's event loop.</summary>
    private void OnTokenChecked(IChannelHandlerContext context, HttpRequest request, WebSocketHandshakeResult result, Task<TokenCheck> check)
    {
        if (!context.Channel.Active || context.Removed)
        {
            return;
        }

        context.Channel.Configuration.AutoRead = true;
        if (!check.IsCompletedSuccessfully)
        {
            // The library failed rather than refused (it should not): refuse. Only the exception's type is
            // logged, since a message about a token may quote it.
            _sessions.Logger.LogWarning(
                "Token check failed on {Remote} ({Error}); refusing the upgrade",
                context.Channel.RemoteAddress,
                check.Exception?.GetBaseException().GetType().Name);
            Refuse(context, request, 401, MetricLabels.InvalidToken, "The token could not be checked.", s_invalidTokenChallenge);
            return;
        }

        switch (check.Result.Status)
        {
            case TokenStatus.Valid:
                CompleteUpgrade(context, result, check.Result.Identity!);
                break;
            case TokenStatus.Expired:
                Refuse(context, request, 401, MetricLabels.ExpiredToken, "The token has expired.", s_invalidTokenChallenge);
                break;
            default:
                Refuse(context, request, 401, MetricLabels.InvalidToken, "The token is not valid.", s_invalidTokenChallenge);
                break;
        }
    }

    private void CompleteUpgrade(IChannelHandlerContext context, WebSocketHandshakeResult result, ClientIdentity identity)
    {
        Metrics.HttpRequests.WithLabels("101").Inc();
        WebSocketHandshake.WriteSwitchingProtocolsAsync(context, result);

        var limits = _sessions.Options; // the WebSocket pipeline's limits
        var pipeline = context.Channel.Pipeline;
        var protocol = new WebSocketProtocolHandler(new WebSocketProtocolOptions { CloseTimeout = TimeSpan.FromMilliseconds(limits.CloseTimeoutMs) });
        pipeline.AddAfter(PipelineNames.HttpDecoder, PipelineNames.WebSocketEncoder, new WebSocketFrameEncoder());
        pipeline.AddAfter(PipelineNames.WebSocketEncoder, PipelineNames.WebSocketDecoder, new WebSocketFrameDecoder(
            new WebSocketDecoderOptions(limits.MaxMessageBytes, code => Metrics.CountProtocolError(code))));
        pipeline.AddAfter(PipelineNames.WebSocketDecoder, PipelineNames.RateLimit, new MessageRateLimitHandler(
            limits.ControlMessagesPerSecond, limits.ControlBurst, Metrics));
        pipeline.AddAfter(PipelineNames.RateLimit, PipelineNames.WebSocketProtocol, protocol);
        pipeline.AddAfter(PipelineNames.WebSocketProtocol, PipelineNames.Heartbeat, new HeartbeatHandler(TimeSpan.FromMilliseconds(limits.HeartbeatIntervalMs), protocol));

        if (OverLimit)
        {
            // docs/protocol.md, "Close codes": 1013 "server full" once upgraded.
            Metrics.ConnectionsRefused.Inc();
            Metrics.Closes.WithLabels("1013").Inc();
            RemoveHttpHandlers(pipeline);
            protocol.CloseAsync(pipeline.Context(protocol), WebSocketCloseStatus.TryAgainLater, "server full");
            return;
        }

        pipeline.AddAfter(PipelineNames.Heartbeat, PipelineNames.Session, new FeedSessionHandler(_sessions, ClientProtocol.ForSubprotocol(result.Subprotocol!), identity));
        RemoveHttpHandlers(pipeline);
    }

    /// <summary>Answers a refused upgrade and closes; logs the reason and the peer, never the token.</summary>
    private void Refuse(
        IChannelHandlerContext context, HttpRequest request, int status, string reason, string message, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        Metrics.AccessDenied.WithLabels(reason).Inc();
        _sessions.Logger.LogInformation("Upgrade from {Remote} refused with {Status}: {Reason}", context.Channel.RemoteAddress, status, reason);
        Respond(context, request, status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(message + "\n"), headers, close: true);
    }

    private static void RemoveHttpHandlers(IChannelPipeline pipeline)
    {
        pipeline.Remove(PipelineNames.HttpTimeout);
        pipeline.Remove(PipelineNames.HttpRouter);
        // Last: on removal the decoder passes any bytes it holds past the request (frames the client
        // sent right after its handshake) to the WebSocket decoder now in place.
        pipeline.Remove(PipelineNames.HttpDecoder);
    }

    private void Respond(
        IChannelHandlerContext context,
        HttpRequest request,
        int status,
        string contentType,
        byte[] body,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        bool close = false)
    {
        Metrics.HttpRequests.WithLabels(status.ToString(CultureInfo.InvariantCulture)).Inc();
        HttpResponses.WriteAsync(context, status, contentType, body, keepAlive: request.KeepAlive && !close, headOnly: request.Method == "HEAD", extraHeaders: headers);
    }
}
