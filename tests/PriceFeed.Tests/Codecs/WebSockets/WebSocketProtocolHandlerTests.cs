using System.Diagnostics;
using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Codecs.WebSockets;

public sealed class WebSocketProtocolHandlerTests
{
    private readonly WebSocketProtocolHandler _handler = new(new WebSocketProtocolOptions { CloseTimeout = TimeSpan.FromSeconds(30) });

    [Fact]
    public void AnswersAPingWithAPongCarryingTheSamePayload()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Ping, "are you there"u8));

        var pong = Assert.Single(ServerFrames.Parse(channel.ReadAllOutboundBytes()));
        Assert.Equal(WebSocketOpcode.Pong, pong.Opcode);
        Assert.Equal("are you there"u8.ToArray(), pong.Payload);
        Assert.Null(channel.ReadInbound<object>());
    }

    [Fact]
    public void AnswersAnEmptyPingWithAnEmptyPong()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Ping, ""u8));

        var pong = Assert.Single(ServerFrames.Parse(channel.ReadAllOutboundBytes()));
        Assert.Equal((WebSocketOpcode.Pong, 0), (pong.Opcode, pong.Payload.Length));
    }

    [Fact]
    public void IgnoresAnUnsolicitedPongButCountsItAsASignOfLife()
    {
        var channel = NewChannel();
        var before = _handler.LastActivityTicks;
        while (Stopwatch.GetTimestamp() == before)
        {
            Thread.Yield();
        }

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Pong, "beat"u8));

        Assert.True(_handler.LastActivityTicks > before);
        Assert.Null(channel.ReadInbound<object>());
        Assert.Empty(channel.ReadAllOutboundBytes());
    }

    [Fact]
    public void PassesTextAndBinaryMessagesToTheNextHandler()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes([.. ClientFrames.Frame(WebSocketOpcode.Text, "{}"u8), .. ClientFrames.Frame(WebSocketOpcode.Binary, [1, 2])]);

        var text = channel.ReadInbound<WebSocketFrame>();
        var binary = channel.ReadInbound<WebSocketFrame>();
        Assert.Equal(WebSocketOpcode.Text, text.Opcode);
        Assert.Equal("{}"u8.ToArray(), text.Content.ReadableToArray());
        Assert.Equal(WebSocketOpcode.Binary, binary.Opcode);
        Assert.Equal([1, 2], binary.Content.ReadableToArray());
        Assert.True(text.Release());
        Assert.True(binary.Release());
    }

    [Fact]
    public void EchoesThePeersCloseCodeAndClosesTheConnection()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Close(WebSocketCloseStatus.GoingAway, "tab closed"u8));

        Assert.Equal(WebSocketCloseStatus.GoingAway, ServerFrames.SingleCloseCode(channel.ReadAllOutboundBytes()));
        Assert.False(channel.Open);
        Assert.Equal(WebSocketCloseStatus.GoingAway, _handler.PeerCloseStatus);
        Assert.Null(channel.ReadInbound<object>());
    }

    [Fact]
    public void AnswersAnEmptyCloseWithAnEmptyClose()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Close, ""u8));

        Assert.Null(ServerFrames.SingleCloseCode(channel.ReadAllOutboundBytes()));
        Assert.False(channel.Open);
    }

    [Fact]
    public void ServerInitiatedCloseWaitsForThePeersCloseThenClosesTheConnection()
    {
        var channel = NewChannel();

        var closed = WebSocketProtocolHandler.InitiateClose(channel, WebSocketCloseStatus.GoingAway, "shutting down");

        var frame = Assert.Single(ServerFrames.Parse(channel.ReadAllOutboundBytes()));
        Assert.Equal([0x03, 0xE9, .. "shutting down"u8], frame.Payload);
        Assert.True(channel.Open);
        Assert.False(closed.IsCompleted);

        channel.WriteInboundBytes(ClientFrames.Close(WebSocketCloseStatus.GoingAway, ""u8));

        Assert.False(channel.Open);
        Assert.True(closed.IsCompleted);
        Assert.Empty(channel.ReadAllOutboundBytes()); // the handshake is complete: no second Close
    }

    [Fact]
    public void ServerInitiatedCloseClosesTheConnectionWhenThePeerNeverAnswers()
    {
        var handler = new WebSocketProtocolHandler(new WebSocketProtocolOptions { CloseTimeout = TimeSpan.FromMilliseconds(50) });
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder(), new WebSocketFrameDecoder(new WebSocketDecoderOptions()), handler);

        handler.CloseAsync(channel.Pipeline.Context(handler), WebSocketCloseStatus.NormalClosure, string.Empty);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ServerFrames.SingleCloseCode(channel.ReadAllOutboundBytes()));

        var deadline = Stopwatch.StartNew();
        while (channel.Open && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
            channel.RunScheduledPendingTasks();
        }

        Assert.False(channel.Open);
    }

    [Fact]
    public void WritesNoFrameAfterItsCloseAndReleasesWhatItDrops()
    {
        var channel = NewChannel();
        WebSocketProtocolHandler.InitiateClose(channel, FeedCloseStatus.SlowConsumer, "slow consumer");
        channel.ReadAllOutboundBytes();

        var late = WebSocketFrame.BinaryFrame(Unpooled.WrappedBuffer([1, 2, 3]));
        var write = channel.WriteAndFlushAsync(late);
        var secondClose = WebSocketFrame.CloseFrame(WebSocketCloseStatus.NormalClosure, string.Empty);
        channel.WriteAndFlushAsync(secondClose);

        Assert.True(write.IsCompleted);
        Assert.Empty(channel.ReadAllOutboundBytes());
        Assert.Equal(0, late.ReferenceCount);
        Assert.Equal(0, secondClose.ReferenceCount);
    }

    [Fact]
    public void StopsPassingMessagesOnOnceItSentClose()
    {
        var channel = NewChannel();
        WebSocketProtocolHandler.InitiateClose(channel, WebSocketCloseStatus.NormalClosure, string.Empty);

        var input = channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Text, "late"u8));

        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(0, input.ReferenceCount);
        Assert.True(channel.Open);
    }

    [Fact]
    public void TreatsACloseFrameWrittenByAnotherHandlerAsAServerInitiatedClose()
    {
        var channel = NewChannel();

        channel.WriteAndFlushAsync(WebSocketFrame.CloseFrame(WebSocketCloseStatus.PolicyViolation, "token expired"));

        Assert.True(_handler.IsCloseSent);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ServerFrames.SingleCloseCode(channel.ReadAllOutboundBytes()));
        channel.WriteInboundBytes(ClientFrames.Close(WebSocketCloseStatus.PolicyViolation, ""u8));
        Assert.False(channel.Open);
    }

    [Fact]
    public void InitiateCloseWithoutTheHandlerInThePipelineClosesTheChannel()
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());

        WebSocketProtocolHandler.InitiateClose(channel, WebSocketCloseStatus.GoingAway, string.Empty);

        Assert.False(channel.Open);
    }

    private EmbeddedChannel NewChannel() =>
        new(new WebSocketFrameEncoder(), new WebSocketFrameDecoder(new WebSocketDecoderOptions()), _handler);
}
