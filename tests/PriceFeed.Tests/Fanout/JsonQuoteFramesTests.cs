using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class JsonQuoteFramesTests : QuoteFrameFormatTests
{
    private protected override QuoteFrameFormat Format => Harness.JsonFrames;

    private protected override void AssertLayout(WebSocketFrame frame, ServerMessage expected)
    {
        Assert.Equal(WebSocketOpcode.Text, frame.Opcode);
        // The proto3 canonical JSON of the same message; JsonFormatter adds spaces, and no symbol here holds one.
        Assert.Equal(
            JsonFormatter.Default.Format(expected).Replace(" ", "", StringComparison.Ordinal),
            frame.Content.ToString(Encoding.UTF8));
    }
}
