using System.Globalization;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Session;
using PriceFeed.Server.Transport;

namespace PriceFeed.Server.Codecs.Http;

/// <summary>Answers each HTTP request: the WebSocket upgrade at <c>/ws</c>, the JSON and metrics endpoints, the dashboard.</summary>
/// <remarks>
/// GET and HEAD only (others: 405). A connection over the server's limit gets 503 for plain
/// requests, and for an upgrade the 101 followed by close 1013, so WebSocket clients see the
/// contract's "server full" code. On a successful upgrade this handler swaps the HTTP handlers
/// for the WebSocket ones (<see cref="PipelineNames"/>). Runs on the channel's event loop.
/// </remarks>
internal sealed class HttpRouter : SimpleChannelInboundHandler<HttpRequest>
{
    private static readonly KeyValuePair<string, string>[] s_allowGetHead = [new("Allow", "GET, HEAD")];
    private static readonly KeyValuePair<string, string>[] s_retryAfter = [new("Retry-After", "1")];

    private readonly FeedServer _server;
    private readonly bool _overLimit;

    public HttpRouter(FeedServer server, bool overLimit)
    {
        _server = server;
        _overLimit = overLimit;
    }

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

        if (_overLimit)
        {
            _server.Metrics.ConnectionsRefused.Inc();
            Respond(context, request, 503, "text/plain; charset=utf-8", "Server full; try again later.\n"u8.ToArray(), s_retryAfter, close: true);
            return;
        }

        switch (request.Path)
        {
            case "/api/symbols":
                Respond(context, request, 200, "application/json", _server.Endpoints.SymbolsJson());
                break;
            case "/api/clients":
                Respond(context, request, 200, "application/json", _server.Endpoints.ClientsJson());
                break;
            case "/healthz":
                Respond(context, request, 200, "application/json", _server.Endpoints.HealthJson());
                break;
            case "/metrics":
                // The exporter is asynchronous; answer when it is done rather than block the event loop.
                _server.Endpoints.MetricsTextAsync().ContinueWith(
                    t => Respond(context, request, 200, "text/plain; version=0.0.4; charset=utf-8", t.Result),
                    TaskContinuationOptions.OnlyOnRanToCompletion);
                break;
            default:
                if (_server.StaticFiles.TryGet(request.Path, out var body, out var contentType))
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
        var result = WebSocketHandshake.Validate(request, WebSocketSubprotocols.All);
        if (!result.IsSuccess)
        {
            _server.Metrics.ProtocolErrors.WithLabels(result.Status.ToString(CultureInfo.InvariantCulture)).Inc();
            Respond(context, request, result.Status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(result.Message + "\n"), result.ExtraHeaders, close: true);
            return;
        }

        _server.Metrics.HttpRequests.WithLabels("101").Inc();
        WebSocketHandshake.WriteSwitchingProtocolsAsync(context, result);

        var limits = _server.Options.Limits;
        var pipeline = context.Channel.Pipeline;
        var protocol = new WebSocketProtocolHandler(new WebSocketProtocolOptions { CloseTimeout = TimeSpan.FromMilliseconds(limits.CloseTimeoutMs) });
        pipeline.AddAfter(PipelineNames.HttpDecoder, PipelineNames.WebSocketEncoder, new WebSocketFrameEncoder());
        pipeline.AddAfter(PipelineNames.WebSocketEncoder, PipelineNames.WebSocketDecoder, new WebSocketFrameDecoder(
            new WebSocketDecoderOptions(limits.MaxMessageBytes, _server.CountProtocolError)));
        pipeline.AddAfter(PipelineNames.WebSocketDecoder, PipelineNames.WebSocketProtocol, protocol);
        pipeline.AddAfter(PipelineNames.WebSocketProtocol, PipelineNames.Heartbeat, new HeartbeatHandler(TimeSpan.FromMilliseconds(limits.HeartbeatIntervalMs), protocol));

        if (_overLimit)
        {
            // CONTRACT.md: 1013 "server full" once upgraded.
            _server.Metrics.ConnectionsRefused.Inc();
            _server.Metrics.Closes.WithLabels("1013").Inc();
            RemoveHttpHandlers(pipeline);
            protocol.CloseAsync(pipeline.Context(protocol), WebSocketCloseStatus.TryAgainLater, "server full");
            return;
        }

        pipeline.AddAfter(PipelineNames.Heartbeat, PipelineNames.Session, _server.CreateSession(ClientProtocol.ForSubprotocol(result.Subprotocol!)));
        RemoveHttpHandlers(pipeline);
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
        _server.Metrics.HttpRequests.WithLabels(status.ToString(CultureInfo.InvariantCulture)).Inc();
        HttpResponses.WriteAsync(context, status, contentType, body, keepAlive: request.KeepAlive && !close, headOnly: request.Method == "HEAD", extraHeaders: headers);
    }
}
