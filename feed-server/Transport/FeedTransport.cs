using System.Net;
using System.Security.Authentication;
using DotNetty.Buffers;
using DotNetty.Handlers.Tls;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Transport;

/// <summary>The listening socket and the event loops: binds, builds each connection's pipeline, shuts down gracefully.</summary>
/// <remarks>
/// One boss loop accepts; worker loops, one per core, run every connection's handlers. A connection
/// starts with the HTTP handlers (<see cref="PipelineNames"/>) and then the first handler it is given, made
/// for each connection by the owner (the application's router, which swaps in the WebSocket handlers on
/// upgrade): the transport knows nothing above it. With a certificate, a <see cref="TlsHandler"/> comes first
/// and everything after it (HTTP, WebSocket) runs unchanged over TLS. <see cref="StartAsync"/>, then
/// <see cref="CloseConnectionsAsync"/> and <see cref="StopLoopsAsync"/>, are called once each.
/// </remarks>
internal sealed class FeedTransport : IDisposable
{
    /// <summary>
    /// 64 KiB / 32 KiB: a channel stops being writable with 64 KiB unsent, so a backlog stays in the
    /// client's send queue where it can still be conflated, not in socket buffers where it goes stale.
    /// </summary>
    private const int WriteBufferHighWaterMark = 64 * 1024;
    private const int WriteBufferLowWaterMark = 32 * 1024;

    /// <summary>TLS 1.2 and 1.3 only: DotNetty's default also offers 1.0 and 1.1, which RFC 8996 deprecates.</summary>
    private const SslProtocols TlsProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private readonly TransportOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly Func<ConnectionAdmission, IChannelHandler> _firstHandler;
    private readonly MultithreadEventLoopGroup _bossGroup = new(1);
    private readonly MultithreadEventLoopGroup _workerGroup = new(Environment.ProcessorCount);
    private IChannel? _listener;
    private IPEndPoint? _localEndPoint;
    private QueuedBytesMonitor? _queuedBytes;

    /// <param name="options">Where to listen, TLS, and the limits of the HTTP handlers.</param>
    /// <param name="metrics">Where connections, traffic and malformed requests are counted.</param>
    /// <param name="firstHandler">Makes the handler after the HTTP decoder for each new connection, given whether
    /// the connection fits the connection limits (it is answered, not dropped, when it does not).</param>
    public FeedTransport(TransportOptions options, ServerMetrics metrics, Func<ConnectionAdmission, IChannelHandler> firstHandler)
    {
        _options = options;
        _metrics = metrics;
        _firstHandler = firstHandler;
        FanoutLoop = (IEventLoop)_workerGroup.GetNext();
        Connections = new ConnectionTracker(options.MaxConnections, options.MaxConnectionsPerIp, metrics);
    }

    public ConnectionTracker Connections { get; }

    /// <summary>
    /// The worker loop the fan-out runs on when it owns no thread (<c>--wait-strategy event-loop</c>); it serves
    /// connections too, and with one core it is the only loop, so the drains the fan-out asks for run right after it.
    /// </summary>
    public IEventLoop FanoutLoop { get; }

    /// <summary>The address actually bound (with the real port when the option was 0).</summary>
    public IPEndPoint? LocalEndPoint => _localEndPoint;

    public async Task StartAsync()
    {
        var options = _options;
        var traffic = new TrafficCounterHandler(_metrics);
        var certificate = options.TlsCertificate;
        var handshakeTimeout = options.HandshakeTimeout;
        var metrics = _metrics;
        Action countTimeout = () => metrics.LimitsExceeded.WithLabels(MetricLabels.HandshakeTimeout).Inc();
        var httpOptions = new HttpDecoderOptions(options.MaxRequestLineBytes, options.MaxHeaderBytes)
        {
            OnError = status => metrics.CountProtocolError((ushort)status),
        };

        var bootstrap = new ServerBootstrap()
            .Group(_bossGroup, _workerGroup)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 4096)
            // No SoReuseaddr: on Linux .NET turns it into SO_REUSEPORT as well, which let a second server bind the
            // same port beside a running one and take half its connections. .NET already sets SO_REUSEADDR for
            // listeners on Unix, so a restart still binds a port with connections in TIME_WAIT.
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildOption(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .ChildOption(ChannelOption.WriteBufferHighWaterMark, WriteBufferHighWaterMark)
            .ChildOption(ChannelOption.WriteBufferLowWaterMark, WriteBufferLowWaterMark)
            .ChildHandler(new ActionChannelInitializer<ISocketChannel>(channel =>
            {
                var admission = Connections.Add(channel);
                if (certificate is not null)
                {
                    // First in the pipeline: the bytes on the socket are TLS records; everything after sees plain text.
                    channel.Pipeline.AddLast(PipelineNames.Tls, new TlsHandler(new ServerTlsSettings(certificate, false, false, TlsProtocols)));
                }

                channel.Pipeline
                    .AddLast(PipelineNames.Traffic, traffic)
                    .AddLast(PipelineNames.HttpDecoder, new HttpRequestDecoder(httpOptions))
                    .AddLast(PipelineNames.HttpTimeout, new HttpTimeoutHandler(handshakeTimeout, countTimeout))
                    .AddLast(PipelineNames.HttpRouter, _firstHandler(admission));
            }));

        var address = IPAddress.TryParse(options.Host, out var ip) ? ip
            : (await Dns.GetHostAddressesAsync(options.Host).ConfigureAwait(false)).First();
        _listener = await bootstrap.BindAsync(new IPEndPoint(address, options.Port)).ConfigureAwait(false);
        _localEndPoint = _listener.LocalAddress as IPEndPoint;
        _queuedBytes = new QueuedBytesMonitor(Connections, options.MaxQueuedBytes, _metrics);
    }

    /// <summary>Stops the queued-bytes timer; <see cref="CloseConnectionsAsync"/> does it too.</summary>
    public void Dispose() => _queuedBytes?.Dispose();

    /// <summary>Closes the listener: no new connection is accepted; the open ones go on. Idempotent.</summary>
    public async Task StopAcceptingAsync()
    {
        if (Interlocked.Exchange(ref _listener, null) is { } listener)
        {
            await listener.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting, sends close 1001 to every WebSocket client and waits for them briefly; the loops go on.</summary>
    /// <remarks>The loops outlive the connections because the fan-out may run on one of them: the owner stops its
    /// source and lets the fan-out take what is left in the ring before <see cref="StopLoopsAsync"/>.</remarks>
    public async Task CloseConnectionsAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        Dispose();

        var closes = Connections.Channels
            .Select(channel => WebSocketProtocolHandler.InitiateClose(channel, WebSocketCloseStatus.GoingAway, "server shutting down"))
            .ToArray();
        var grace = _options.CloseTimeout + TimeSpan.FromMilliseconds(500);
        await Task.WhenAny(Task.WhenAll(closes), Task.Delay(grace)).ConfigureAwait(false);
    }

    /// <summary>Stops the event loops, after <see cref="CloseConnectionsAsync"/>.</summary>
    /// <returns>How many loops would not stop gracefully and were forced to (<see cref="EventLoopShutdown"/>).</returns>
    public async Task<int> StopLoopsAsync()
    {
        // No quiet period: every connection is closed or given up on by now, and the loops still run the tasks
        // already queued before they stop. With a non-zero quiet period DotNetty 0.7.6 never sees the loop as
        // quiet and always waits out the whole timeout (measured: 50 ms quiet took 2 s, every stop).
        var forced = await Task.WhenAll(
            EventLoopShutdown.ShutdownAsync(_bossGroup, TimeSpan.FromSeconds(2)),
            EventLoopShutdown.ShutdownAsync(_workerGroup, TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        return forced.Sum();
    }
}
