using System.Text;
using DotNetty.Buffers;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Codecs;
using PriceFeed.Tests.Bars;

namespace PriceFeed.Tests.Fanout;

/// <summary>Frames of bars as a <see cref="ClientSession"/> builds them (the reserve, <c>WriteBar</c> entries, <c>Seal</c> with
/// <see cref="QuoteFrameKind.Bars"/>) read back as <c>ServerMessage.bars</c> holding exactly those bars, in both subprotocols.</summary>
public sealed class BarFramesTests : IDisposable
{
    private readonly FanoutHarness _harness = new(symbols: 4);

    public static TheoryData<bool, int> FormatsAndCounts => new()
    {
        { false, 0 }, { false, 1 }, { false, 3 }, { false, 300 },
        { true, 0 }, { true, 1 }, { true, 3 }, { true, 300 },
    };

    public void Dispose() => _harness.Dispose();

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void SealedBarsParseAsServerMessageBars(bool json, int count)
    {
        var format = json ? (QuoteFrameFormat)_harness.JsonFrames : _harness.ProtobufFrames;
        var random = new Random(count);
        var expected = new ServerMessage { Bars = new BarBatch() };
        var frame = UnpooledByteBufferAllocator.Default.Buffer(4096);
        frame.SetWriterIndex(format.HeaderReserve);
        for (var i = 0; i < count; i++)
        {
            // Finite prices: the JSON parser reads NaN back as a NaN that Equals does not match.
            var (symbol, interval, bar, closed) = BarEncoderTests.RandomBar(random, allowEmptySymbol: false);
            bar.Open = bar.High = bar.Low = bar.Close = Math.Round(random.NextDouble() * 500, 2);
            var length = format.WriteBar(Encoding.ASCII.GetBytes(symbol), interval, bar, closed, ByteBuffers.WritableSpan(frame, format.MaxBarEntryBytes));
            frame.SetWriterIndex(frame.WriterIndex + length);
            expected.Bars.Bars.Add(BarEncoderTests.ToMessage(symbol, interval, bar, closed));
        }

        var sealedFrame = format.Seal(frame, QuoteFrameKind.Bars, 1_764_000_000_123_456_789);
        try
        {
            Assert.True(sealedFrame.IsFinal);
            Assert.Equal(json ? WebSocketOpcode.Text : WebSocketOpcode.Binary, sealedFrame.Opcode);
            var parsed = FanoutClient.Parse(sealedFrame);
            Assert.Equal(ServerMessage.BodyOneofCase.Bars, parsed.BodyCase);
            Assert.Equal(expected, parsed);
            if (!json)
            {
                Assert.Equal(expected.ToByteArray(), sealedFrame.Content.ReadableToArray());
            }
            else if (count > 0)
            {
                // An empty batch is written as "bars":[] where the formatter leaves the empty list out; both parse the same.
                Assert.Equal(JsonFormatter.Default.Format(expected).Replace(" ", "", StringComparison.Ordinal), sealedFrame.Content.ToString(Encoding.UTF8));
            }
            else
            {
                Assert.Equal("""{"bars":{"bars":[]}}""", sealedFrame.Content.ToString(Encoding.UTF8));
            }
        }
        finally
        {
            sealedFrame.Release();
        }
    }
}
