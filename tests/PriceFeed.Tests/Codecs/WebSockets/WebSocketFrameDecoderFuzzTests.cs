using System.Buffers.Binary;
using System.Text;
using CsCheck;
using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Tests.Codecs.Fuzzing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Codecs.WebSockets;

/// <summary>Property-based fuzzing of <see cref="WebSocketFrameDecoder"/>: sequences of client frames (valid,
/// fragmented, control, reserved, unmasked, oversized, bad lengths), mutated and cut into arbitrary reads, never
/// throw out of the pipeline, never make it hold more than its limit, leak no buffer, and always end in whole
/// valid messages, one Close with a contract code (1002, 1007, 1009), or a wait for more input.</summary>
/// <remarks>A 1 KiB message limit so lengths around it are cheap; runs as described in <see cref="FuzzRun"/>.</remarks>
public sealed class WebSocketFrameDecoderFuzzTests
{
    private const int MaxMessageBytes = 1024;

    /// <summary>A frame header (2 + 8 length + 4 mask) and a control payload on top of the message limit.</summary>
    private const int BufferBound = MaxMessageBytes + 14 + WebSocketFrameDecoder.MaxControlPayloadLength;

    /// <summary>The close codes the decoder fails a connection with (docs/protocol.md, "Close codes").</summary>
    private static readonly ushort[] s_failureCodes =
        [WebSocketCloseStatus.ProtocolError, WebSocketCloseStatus.InvalidPayloadData, WebSocketCloseStatus.MessageTooBig];

    private static readonly byte[][] s_dictionary =
    [
        [0x81, 0x80], [0x82, 0xFE, 0x04, 0x01], [0x80, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8], [0x89, 0xFE, 0x00, 0x7E], [0x01, 0x80, 0, 0, 0, 0], [0xC1], [0x0B],
        [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82],
    ];

    private readonly ITestOutputHelper _output;

    public WebSocketFrameDecoderFuzzTests(ITestOutputHelper output) => _output = output;

    /// <summary>One frame as a client might send it, honest or not.</summary>
    private static Gen<byte[]> Frame =>
        from opcode in Gen.Frequency(
            (5, Gen.OneOf<byte>([0x1, 0x2])),
            (1, Gen.Const<byte>(0x0)),
            (3, Gen.OneOf<byte>([0x8, 0x9, 0xA])),
            (1, Gen.Byte[0, 15]))
        from fin in Gen.Frequency((6, Gen.Const(true)), (1, Gen.Const(false)))
        from rsv in Gen.Frequency((30, Gen.Const((byte)0)), (1, Gen.Byte[1, 7]))
        from masked in Gen.Frequency((30, Gen.Const(true)), (1, Gen.Const(false)))
        from payload in Gen.Frequency(
            (6, Gen.Byte.Array[0, 130]),
            (4, Gen.String.Select(Encoding.UTF8.GetBytes)),
            (2, Gen.UShort.Select(code => (byte[])[(byte)(code >> 8), (byte)code, .. "bye"u8])),
            (1, Gen.Byte.Array[MaxMessageBytes - 4, MaxMessageBytes + 4]))
        from lengthForm in Gen.Frequency((10, Gen.Const(LengthForm.Shortest)), (1, Gen.Enum<LengthForm>()))
        from mask in Gen.UInt
        select Encode(opcode, fin, rsv, masked, payload, lengthForm, mask);

    /// <summary>A stream: a few frames, then mutations of the whole (or none), or noise.</summary>
    private static Gen<byte[]> Streams
    {
        get
        {
            var frames = Frame.Array[1, 6].Select(f => f.SelectMany(b => b).ToArray());
            var mutated =
                from stream in frames
                from mutations in ByteStreams.Mutations(s_dictionary).Array[1, 4]
                select ByteStreams.Apply(stream, mutations);
            var noise = Gen.Byte.Array[0, 600];
            return Gen.Frequency((4, frames), (4, mutated), (1, noise));
        }
    }

    [Fact]
    public void FuzzedFramesEndInMessagesOneCloseOrAWait()
    {
        var outcomes = new FuzzOutcomes();
        Gen.Select(Streams, ByteStreams.CutPoints)
            .Sample(
                (bytes, cuts) => outcomes.Add(Check(bytes, cuts)),
                _output.WriteLine,
                seed: FuzzRun.Seed,
                iter: FuzzRun.Iterations,
                threads: FuzzRun.Threads,
                print: t => $"{Convert.ToHexString(t.Item1)} cuts [{string.Join(",", t.Item2)}]");
        _output.WriteLine(outcomes.ToString());
    }

    /// <summary>Feeds <paramref name="bytes"/> in the reads given by <paramref name="cuts"/>, checks every property,
    /// and says how it ended: "messages" or the close code.</summary>
    private static string Check(byte[] bytes, int[] cuts)
    {
        var errors = new List<ushort>();
        var allocator = new TrackingAllocator();
        var decoder = new WebSocketFrameDecoder(new WebSocketDecoderOptions(MaxMessageBytes, errors.Add));
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder(), decoder);
        channel.Configuration.Allocator = allocator;
        var peerClosed = false;
        var messages = 0;

        foreach (var read in ByteStreams.Split(bytes, cuts))
        {
            if (!channel.Open)
            {
                break;
            }

            // EmbeddedChannel rethrows anything that reached the end of the pipeline: nothing may.
            channel.WriteInbound(Unpooled.WrappedBuffer(read));
            Assert.True(decoder.BufferedBytes <= BufferBound, $"holds {decoder.BufferedBytes} bytes, over {BufferBound}");
            peerClosed |= CheckAndReleaseMessages(channel, peerClosed, ref messages);
        }

        channel.RunPendingTasks();
        var written = channel.ReadAllOutboundBytes();
        Assert.True(errors.Count <= 1, $"failed {errors.Count} times");
        if (errors.Count == 0)
        {
            Assert.Empty(written);
            Assert.True(channel.Open, "closed without a Close frame");
        }
        else
        {
            // Exactly one unmasked, final Close frame with the code reported, and the connection closed after it.
            var code = errors[0];
            Assert.Contains(code, s_failureCodes);
            Assert.True(written.Length >= 4 && written[0] == 0x88 && written[1] == written.Length - 2, $"not one Close frame: {Convert.ToHexString(written)}");
            Assert.Equal(code, BinaryPrimitives.ReadUInt16BigEndian(written.AsSpan(2)));
            Assert.False(channel.Open, "a protocol error closes the connection");
        }

        channel.FinishAndReleaseAll();
        Assert.Empty(allocator.Unreleased);
        return errors.Count > 0 ? $"close {errors[0]}" : messages > 0 ? "messages, waiting" : "waiting";
    }

    /// <summary>Every message out of the decoder is whole and valid; returns whether the peer's Close came out.</summary>
    private static bool CheckAndReleaseMessages(EmbeddedChannel channel, bool peerClosed, ref int messages)
    {
        while (channel.ReadInbound<WebSocketFrame>() is { } frame)
        {
            messages++;
            try
            {
                Assert.False(peerClosed, "a frame came out after the peer's Close");
                Assert.True(frame.IsFinal);
                Assert.True(frame.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary or WebSocketOpcode.Ping or WebSocketOpcode.Pong or WebSocketOpcode.Close);
                Assert.True(frame.Content.ReadableBytes <= (frame.IsControl ? WebSocketFrameDecoder.MaxControlPayloadLength : MaxMessageBytes));
                if (frame.Opcode == WebSocketOpcode.Text)
                {
                    Assert.True(Utf8Validator.IsValid(frame.Content.ReadableToArray()), "a text message with invalid UTF-8 came out");
                }

                if (frame is CloseWebSocketFrame close)
                {
                    Assert.True(close.CloseStatus is null || WebSocketCloseStatus.IsValidOnWire(close.CloseStatus.Value));
                    peerClosed = true;
                }
            }
            finally
            {
                frame.Release();
            }
        }

        return peerClosed;
    }

    private enum LengthForm
    {
        Shortest,
        Sixteen,
        SixtyFour,
        SixtyFourTopBit,
        Huge,
    }

    private static byte[] Encode(byte opcode, bool fin, byte rsv, bool masked, byte[] payload, LengthForm form, uint mask)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        var length = (ulong)payload.Length;
        switch (form)
        {
            case LengthForm.Shortest when length <= 125:
                frame.Add((byte)(maskBit | (byte)length));
                break;
            case LengthForm.Shortest or LengthForm.Sixteen when length <= ushort.MaxValue:
                frame.Add((byte)(maskBit | 126));
                frame.AddRange([(byte)(length >> 8), (byte)length]);
                break;
            default:
                frame.Add((byte)(maskBit | 127));
                var declared = form switch
                {
                    LengthForm.SixtyFourTopBit => length | (1UL << 63),
                    LengthForm.Huge => length + (1UL << 40),
                    _ => length,
                };
                var bytes = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(bytes, declared);
                frame.AddRange(bytes);
                break;
        }

        var key = BitConverter.GetBytes(mask);
        if (masked)
        {
            frame.AddRange(key);
        }

        for (var i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ key[i % 4]) : payload[i]);
        }

        return [.. frame];
    }
}
