using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Benchmarks.Codecs;

/// <summary>
/// What reading one masked client frame costs: our resumable decoder in a DotNetty pipeline
/// (unmasking into a pooled buffer) against .NET's ManagedWebSocket receiving the same bytes from a
/// stream (baseline).
/// </summary>
/// <remarks>
/// <c>Ours</c> includes the embedded channel's read path and the input buffer's allocation from the
/// pool; <see cref="PipelineOnly"/> is that path with no decoder, so the decoder's own cost is the difference.
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "Disposed by GlobalCleanup, BenchmarkDotNet's end of life for them.")]
public class WebSocketFrameDecoderBenchmarks
{
    private static readonly byte[] s_maskKey = [0x37, 0xFA, 0x21, 0x3D];

    private EmbeddedChannel _channel = null!;
    private EmbeddedChannel _bareChannel = null!;
    private byte[] _frame = null!;
    private byte[] _receiveBuffer = null!;
    private MemoryStream _stream = null!;
    private WebSocket _managed = null!;

    /// <summary>Client messages are small (a subscribe of 500 symbols is ~6 KiB); 64 KiB is the server's default limit.</summary>
    [Params(16, 1024, 65536)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);
        _frame = MaskedBinaryFrame(payload);
        _receiveBuffer = new byte[PayloadBytes];
        _channel = new EmbeddedChannel(new WebSocketFrameDecoder(new WebSocketDecoderOptions(MaxMessageBytes: 1 << 20)));
        _bareChannel = new EmbeddedChannel();
        // Writable because ManagedWebSocket insists on it; nothing is written (no control frames arrive).
        _stream = new MemoryStream(_frame, writable: true);
        _managed = WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _channel.CloseAsync().GetAwaiter().GetResult();
        _bareChannel.CloseAsync().GetAwaiter().GetResult();
        _managed.Dispose();
        _stream.Dispose();
    }

    [Benchmark]
    public int Ours()
    {
        var input = PooledByteBufferAllocator.Default.Buffer(_frame.Length);
        input.WriteBytes(_frame);
        _channel.WriteInbound(input);
        var frame = _channel.ReadInbound<WebSocketFrame>();
        var length = frame.Content.ReadableBytes;
        frame.Release();
        return length;
    }

    [Benchmark]
    public int PipelineOnly()
    {
        var input = PooledByteBufferAllocator.Default.Buffer(_frame.Length);
        input.WriteBytes(_frame);
        _bareChannel.WriteInbound(input);
        var buffer = _bareChannel.ReadInbound<IByteBuffer>();
        var length = buffer.ReadableBytes;
        buffer.Release();
        return length;
    }

    [Benchmark(Baseline = true)]
    public int ManagedWebSocket()
    {
        _stream.Position = 0;
        var receive = _managed.ReceiveAsync(_receiveBuffer.AsMemory(), CancellationToken.None);
        return receive.AsTask().GetAwaiter().GetResult().Count;
    }

    // RFC 6455 5.2 and 5.3: FIN + binary, MASK bit, the shortest length form, the key, the payload XORed with it.
    private static byte[] MaskedBinaryFrame(byte[] payload)
    {
        var lengthBytes = payload.Length <= 125 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = 0x80 | (byte)WebSocketOpcode.Binary;
        switch (lengthBytes)
        {
            case 0:
                frame[1] = (byte)(0x80 | payload.Length);
                break;
            case 2:
                frame[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        var keyAt = 2 + lengthBytes;
        s_maskKey.CopyTo(frame, keyAt);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[keyAt + 4 + i] = (byte)(payload[i] ^ s_maskKey[i % 4]);
        }

        return frame;
    }
}
