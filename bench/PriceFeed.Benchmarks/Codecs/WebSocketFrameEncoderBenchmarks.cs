using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using DotNetty.Buffers;
using DotNetty.Common.Utilities;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Benchmarks.Codecs;

/// <summary>
/// What writing one binary server frame costs: our encoder in a DotNetty pipeline (header in a
/// small pooled buffer, payload passed on without a copy) against .NET's ManagedWebSocket sending
/// the same payload into a stream (baseline: what Kestrel's WebSockets do per message).
/// </summary>
/// <remarks>
/// <c>Ours</c> includes the embedded channel's write path (promise, outbound buffer, flush);
/// <see cref="PipelineOnly"/> is that path with no encoder, so the encoder's own cost is the difference.
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "Disposed by GlobalCleanup, BenchmarkDotNet's end of life for them.")]
public class WebSocketFrameEncoderBenchmarks
{
    private EmbeddedChannel _channel = null!;
    private EmbeddedChannel _bareChannel = null!;
    private IByteBuffer _payload = null!;
    private byte[] _payloadBytes = null!;
    private MemoryStream _stream = null!;
    private WebSocket _managed = null!;

    /// <summary>125: the largest 7-bit length; 1 KiB: a typical quotes frame; 64 KiB: ours at its frame limit.</summary>
    [Params(125, 1024, 65536)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        _payloadBytes = new byte[PayloadBytes];
        Random.Shared.NextBytes(_payloadBytes);
        _payload = PooledByteBufferAllocator.Default.Buffer(PayloadBytes);
        _payload.WriteBytes(_payloadBytes);
        _channel = new EmbeddedChannel(new WebSocketFrameEncoder());
        _bareChannel = new EmbeddedChannel();
        _stream = new MemoryStream(PayloadBytes + 16);
        _managed = WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _payload.Release();
        _channel.CloseAsync().GetAwaiter().GetResult();
        _bareChannel.CloseAsync().GetAwaiter().GetResult();
        _managed.Dispose();
        _stream.Dispose();
    }

    [Benchmark]
    public int Ours()
    {
        // The session shares one payload among subscribers by retaining it; the frame releases its reference after encoding.
        _channel.WriteOutbound(WebSocketFrame.BinaryFrame(_payload.RetainedDuplicate()));
        var written = 0;
        while (_channel.ReadOutbound<IByteBuffer>() is { } buffer)
        {
            written += buffer.ReadableBytes;
            ReferenceCountUtil.Release(buffer);
        }

        return written;
    }

    [Benchmark]
    public int PipelineOnly()
    {
        _bareChannel.WriteOutbound(_payload.RetainedDuplicate());
        var buffer = _bareChannel.ReadOutbound<IByteBuffer>();
        var written = buffer.ReadableBytes;
        buffer.Release();
        return written;
    }

    [Benchmark(Baseline = true)]
    public int ManagedWebSocket()
    {
        _stream.Position = 0;
        var send = _managed.SendAsync(_payloadBytes, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        send.GetAwaiter().GetResult();
        return (int)_stream.Position;
    }
}
