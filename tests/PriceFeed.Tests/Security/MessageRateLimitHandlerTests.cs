using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;
using PriceFeed.Tests.Codecs;

namespace PriceFeed.Tests.Security;

public sealed class MessageRateLimitHandlerTests
{
    private static WebSocketFrame Binary() => WebSocketFrame.BinaryFrame(Unpooled.WrappedBuffer([1, 2, 3]));

    private static EmbeddedChannel NewChannel(int burst) =>
        new(
            new WebSocketFrameEncoder(),
            new MessageRateLimitHandler(ratePerSecond: 1, burst: burst, new ServerMetrics()),
            new WebSocketProtocolHandler(new WebSocketProtocolOptions()));

    [Fact]
    public void PassesMessagesWithinTheBurst()
    {
        var channel = NewChannel(burst: 3);

        for (var i = 0; i < 3; i++)
        {
            channel.WriteInbound(Binary());
        }

        for (var i = 0; i < 3; i++)
        {
            var frame = channel.ReadInbound<WebSocketFrame>();
            Assert.Equal(WebSocketOpcode.Binary, frame.Opcode);
            frame.Release();
        }

        Assert.Empty(channel.ReadAllOutboundBytes());
    }

    [Fact]
    public void ClosesWith1008AndDropsEverythingPastTheLimit()
    {
        var channel = NewChannel(burst: 2);
        var frames = Enumerable.Range(0, 5).Select(_ => Binary()).ToArray();

        foreach (var frame in frames)
        {
            channel.WriteInbound(frame);
        }

        Assert.Equal(2, Enumerable.Range(0, 5).Select(_ => channel.ReadInbound<WebSocketFrame>()).Count(f => f is not null && f.Release()));
        Assert.All(frames, frame => Assert.Equal(0, frame.ReferenceCount));
        var written = channel.ReadAllOutboundBytes();
        Assert.Equal(0x88, written[0]);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (ushort)((written[2] << 8) | written[3]));
    }

    [Fact]
    public void PingFramesCountButTheClientsCloseAlwaysPasses()
    {
        var channel = NewChannel(burst: 1);

        channel.WriteInbound(new WebSocketFrame(WebSocketOpcode.Ping, true, Unpooled.Empty));
        channel.WriteInbound(new WebSocketFrame(WebSocketOpcode.Ping, true, Unpooled.Empty));
        channel.WriteInbound(WebSocketFrame.CloseFrame(WebSocketCloseStatus.NormalClosure, ""));

        var written = channel.ReadAllOutboundBytes();
        // The first ping's pong (0x8A), then our Close with 1008 for the second ping.
        Assert.Equal(0x8A, written[0]);
        Assert.Equal(0x88, written[2]);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (ushort)((written[4] << 8) | written[5]));
        Assert.False(channel.Active);
    }
}
