using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Tests.Codecs;

namespace PriceFeed.Tests.Fanout;

public sealed class ProtobufQuoteFramesTests : QuoteFrameFormatTests
{
    private protected override QuoteFrameFormat Format => Harness.ProtobufFrames;

    private protected override void AssertLayout(WebSocketFrame frame, ServerMessage expected)
    {
        Assert.Equal(WebSocketOpcode.Binary, frame.Opcode);
        // Byte for byte what Google.Protobuf writes: the header right-aligned against the entries, nothing in between.
        Assert.Equal(expected.ToByteArray(), frame.Content.ReadableToArray());
        var header = frame.Content.ReadableBytes - (expected.Quotes ?? expected.Snapshot).CalculateSize();
        Assert.Equal(Format.HeaderReserve, frame.Content.ReaderIndex + header);
    }
}
