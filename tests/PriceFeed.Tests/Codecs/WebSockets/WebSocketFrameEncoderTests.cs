using DotNetty.Buffers;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Codecs.WebSockets;

public sealed class WebSocketFrameEncoderTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x82, 0 })]
    [InlineData(1, new byte[] { 0x82, 1 })]
    [InlineData(125, new byte[] { 0x82, 125 })]
    [InlineData(126, new byte[] { 0x82, 126, 0, 126 })]
    [InlineData(127, new byte[] { 0x82, 126, 0, 127 })]
    [InlineData(65535, new byte[] { 0x82, 126, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void WritesTheShortestLengthFormUnmasked(int length, byte[] expectedHeader)
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());
        var payload = Unpooled.Buffer(length + 1).WriteBytes(ClientFrames.Payload(length));

        channel.WriteAndFlushAsync(WebSocketFrame.BinaryFrame(payload));

        var header = channel.ReadOutbound<IByteBuffer>();
        Assert.Equal(expectedHeader, header.ReadableToArray());
        Assert.True(header.Release());
        if (length > 0)
        {
            // The payload is passed on as is, not copied.
            var written = channel.ReadOutbound<IByteBuffer>();
            Assert.Same(payload, written);
            Assert.True(written.Release());
        }

        Assert.Null(channel.ReadOutbound<object>());
        Assert.Equal(0, payload.ReferenceCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void WritesAFrameWithHeaderRoomAsOneBufferWithTheSameBytes(int length)
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());
        var separate = new EmbeddedChannel(new WebSocketFrameEncoder());
        var payload = Unpooled.Buffer(WebSocketFrameEncoder.MaxHeaderBytes + length);
        payload.SetWriterIndex(WebSocketFrameEncoder.MaxHeaderBytes).WriteBytes(ClientFrames.Payload(length));
        payload.SetReaderIndex(WebSocketFrameEncoder.MaxHeaderBytes);
        separate.WriteAndFlushAsync(WebSocketFrame.BinaryFrame(Unpooled.WrappedBuffer(ClientFrames.Payload(length))));

        channel.WriteAndFlushAsync(WebSocketFrame.WithHeaderRoom(WebSocketOpcode.Binary, payload));

        // One buffer, the frame's own, its header written into the room in front of the payload.
        var written = channel.ReadOutbound<IByteBuffer>();
        Assert.Same(payload, written);
        Assert.Null(channel.ReadOutbound<object>());
        Assert.Equal(separate.ReadAllOutboundBytes(), written.ReadableToArray());
        Assert.Equal(WebSocketFrameEncoder.HeaderLength(length) + length, written.ReadableBytes);
        Assert.True(written.Release());
    }

    [Fact]
    public void RefusesAFrameWithHeaderRoomThatHasTooLittleRoom()
    {
        var payload = Unpooled.Buffer(16).WriteBytes(new byte[12]);
        payload.SetReaderIndex(WebSocketFrameEncoder.MaxHeaderBytes - 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketFrame.WithHeaderRoom(WebSocketOpcode.Binary, payload));
        Assert.True(payload.Release());
    }

    [Fact]
    public void WritesTheFinBitAsInTheFrame()
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());

        channel.WriteAndFlushAsync(new WebSocketFrame(WebSocketOpcode.Text, false, Unpooled.WrappedBuffer("ab"u8.ToArray())));
        channel.WriteAndFlushAsync(new WebSocketFrame(WebSocketOpcode.Continuation, true, Unpooled.WrappedBuffer("c"u8.ToArray())));

        var frames = ServerFrames.Parse(channel.ReadAllOutboundBytes());
        Assert.Equal((WebSocketOpcode.Text, false), (frames[0].Opcode, frames[0].Fin));
        Assert.Equal((WebSocketOpcode.Continuation, true), (frames[1].Opcode, frames[1].Fin));
    }

    [Fact]
    public void WritesACloseFrameWithItsCodeAndReason()
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());

        channel.WriteAndFlushAsync(WebSocketFrame.CloseFrame(FeedCloseStatus.SlowConsumer, "slow"));

        var frame = Assert.Single(ServerFrames.Parse(channel.ReadAllOutboundBytes()));
        Assert.Equal(WebSocketOpcode.Close, frame.Opcode);
        Assert.Equal([0x0F, 0xA1, .. "slow"u8], frame.Payload);
    }

    [Fact]
    public void CutsALongCloseReasonAtACharacterBoundary()
    {
        var close = WebSocketFrame.CloseFrame(WebSocketCloseStatus.NormalClosure, new string('\u00E9', 100));

        Assert.Equal(WebSocketFrameDecoder.MaxControlPayloadLength - 1, close.Content.ReadableBytes);
        Assert.Equal(new string('\u00E9', 61), close.Reason);
        Assert.True(close.Release());
    }

    [Theory]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(2000)]
    public void RefusesToBuildACloseFrameWithACodeNotAllowedOnTheWire(int code) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketFrame.CloseFrame((ushort)code, string.Empty));

    [Fact]
    public async Task FailsTheWriteOfAControlFrameLongerThan125Bytes()
    {
        var channel = new EmbeddedChannel(new WebSocketFrameEncoder());
        var ping = WebSocketFrame.PingFrame(Unpooled.WrappedBuffer(ClientFrames.Payload(126)));

        await Assert.ThrowsAnyAsync<Exception>(() => channel.WriteAndFlushAsync(ping));

        Assert.Null(channel.ReadOutbound<object>());
        Assert.Equal(0, ping.ReferenceCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(127)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void WritesFramesTheDecoderReadsBackOnceMasked(int length)
    {
        var encoder = new EmbeddedChannel(new WebSocketFrameEncoder());
        var decoder = new EmbeddedChannel(new WebSocketFrameDecoder(new WebSocketDecoderOptions()));
        var payload = ClientFrames.Payload(length);
        encoder.WriteAndFlushAsync(WebSocketFrame.BinaryFrame(Unpooled.WrappedBuffer(payload)));

        decoder.WriteInboundBytes(Mask(encoder.ReadAllOutboundBytes()));

        var frame = decoder.ReadInbound<WebSocketFrame>();
        Assert.Equal(payload, frame.Content.ReadableToArray());
        Assert.True(frame.Release());
    }

    /// <summary>Turns a server frame into a client frame: sets the mask bit, inserts the key, masks the payload.</summary>
    private static byte[] Mask(byte[] serverFrame)
    {
        var length7 = serverFrame[1] & 0x7F;
        var headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
        var payload = serverFrame.AsSpan(headerLength);
        byte[] masked = [.. serverFrame.AsSpan(0, headerLength), .. ClientFrames.MaskKey, .. payload];
        masked[1] |= 0x80;
        for (var i = 0; i < payload.Length; i++)
        {
            masked[headerLength + 4 + i] ^= ClientFrames.MaskKey[i % 4];
        }

        return masked;
    }
}
