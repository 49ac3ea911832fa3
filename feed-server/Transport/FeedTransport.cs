using System.Net;
using DotNetty.Buffers;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Hosting;

namespace PriceFeed.Server.Transport;

/// <summary>The listening socket and the event loops: binds, builds each connection's pipeline, shuts down gracefully.</summary>
/// <remarks>
/// One boss loop accepts; worker loops, one per core, run every connection's handlers. A connection
/// starts with the HTTP handlers (<see cref="PipelineNames"/>); <see cref="HttpRouter"/> swaps in the
/// WebSocket ones on upgrade. <see cref="StartAsync"/> and <see cref="StopAsync"/> are called once each.
/// </remarks>
internal sealed class FeedTransport
{
    /// <summary>
    /// 64 KiB / 32 KiB: a channel stops being writable with 64 KiB unsent, so a backlog stays in the
    /// client's send queue where it can still be conflated, not in socket buffers where it goes stale.
    /// </summary>
    private const int WriteBufferHighWaterMark = 64 * 1024;
    private const int WriteBufferLowWaterMark = 32 * 1024;

    private readonly FeedServer _server;
    private readonly MultithreadEventLoopGroup _bossGroup = new(1);
    private readonly MultithreadEventLoopGroup _workerGroup = new(Environment.ProcessorCount);
    private IChannel? _listener;

    public FeedTransport(FeedServer server)
    {
        _server = server;
        Connections = new ConnectionTracker(server.Options.Limits.MaxConnections, server.Metrics);
    }

    public ConnectionTracker Connections { get; }

    /// <summary>The address actually bound (with the real port when the option was 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalAddress as IPEndPoint;

    public async Task StartAsync()
    {
        var options = _server.Options;
        var limits = options.Limits;
        var traffic = new TrafficCounterHandler(_server.Metrics);
        var httpOptions = new HttpDecoderOptions(limits.MaxRequestLineBytes, limits.MaxHeaderBytes)
        {
            OnError = status => _server.CountProtocolError((ushort)status),
        };

        var bootstrap = new ServerBootstrap()
            .Group(_bossGroup, _workerGroup)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 4096)
            .Option(ChannelOption.SoReuseaddr, true)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildOption(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .ChildOption(ChannelOption.WriteBufferHighWaterMark, WriteBufferHighWaterMark)
            .ChildOption(ChannelOption.WriteBufferLowWaterMark, WriteBufferLowWaterMark)
            .ChildHandler(new ActionChannelInitializer<ISocketChannel>(channel =>
            {
                var withinLimit = Connections.Add(channel);
                channel.Pipeline
                    .AddLast(PipelineNames.Traffic, traffic)
                    .AddLast(PipelineNames.HttpDecoder, new HttpRequestDecoder(httpOptions))
                    .AddLast(PipelineNames.HttpTimeout, new HttpTimeoutHandler(TimeSpan.FromMilliseconds(limits.HandshakeTimeoutMs)))
                    .AddLast(PipelineNames.HttpRouter, new HttpRouter(_server, overLimit: !withinLimit));
            }));

        var address = IPAddress.TryParse(options.Host, out var ip) ? ip
            : (await Dns.GetHostAddressesAsync(options.Host).ConfigureAwait(false)).First();
        _listener = await bootstrap.BindAsync(new IPEndPoint(address, options.Port)).ConfigureAwait(false);
    }

    /// <summary>Stops accepting, sends close 1001 to every WebSocket client, waits for them briefly, stops the loops.</summary>
    public async Task StopAsync()
    {
        if (_listener is not null)
        {
            await _listener.CloseAsync().ConfigureAwait(false);
        }

        var closes = Connections.Channels
            .Select(channel => WebSocketProtocolHandler.InitiateClose(channel, WebSocketCloseStatus.GoingAway, "server shutting down"))
            .ToArray();
        var grace = TimeSpan.FromMilliseconds(_server.Options.Limits.CloseTimeoutMs + 500);
        await Task.WhenAny(Task.WhenAll(closes), Task.Delay(grace)).ConfigureAwait(false);

        // No quiet period: every connection is closed or given up on by now, and the loops still run the tasks
        // already queued before they stop. With a non-zero quiet period DotNetty 0.7.6 never sees the loop as
        // quiet and always waits out the whole timeout (measured: 50 ms quiet took 2 s, every stop).
        await Task.WhenAll(
            _bossGroup.ShutdownGracefullyAsync(TimeSpan.Zero, TimeSpan.FromSeconds(2)),
            _workerGroup.ShutdownGracefullyAsync(TimeSpan.Zero, TimeSpan.FromSeconds(2))).ConfigureAwait(false);
    }
}
