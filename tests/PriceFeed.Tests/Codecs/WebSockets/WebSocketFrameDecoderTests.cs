using System.Text;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Tests.Codecs.WebSockets;

public sealed class WebSocketFrameDecoderTests
{
    private readonly List<ushort> _protocolErrors = [];

    public static TheoryData<int> BoundaryLengths => new() { 0, 1, 125, 126, 127, 65535, 65536 };

    public static TheoryData<int> PrefixesOfASmallFrame => Prefixes(ClientFrames.Frame(WebSocketOpcode.Text, "Hello"u8).Length);

    public static TheoryData<int> PrefixesOfA16BitLengthFrame => Prefixes(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(200)).Length);

    [Theory]
    [MemberData(nameof(BoundaryLengths))]
    public void DecodesABinaryMessageOfEachLengthForm(int length)
    {
        var channel = NewChannel();
        var payload = ClientFrames.Payload(length);

        var input = channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, payload));

        var frame = channel.ReadInbound<WebSocketFrame>();
        Assert.Equal(WebSocketOpcode.Binary, frame.Opcode);
        Assert.True(frame.IsFinal);
        Assert.Equal(payload, ReadAndRelease(frame));
        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(0, input.ReferenceCount);
    }

    [Theory]
    [MemberData(nameof(PrefixesOfASmallFrame))]
    public void EmitsNothingUntilTheLastByteOfASmallFrameArrives(int prefixLength) =>
        AssertDecodedOnlyWhenComplete(ClientFrames.Frame(WebSocketOpcode.Text, "Hello"u8), prefixLength);

    [Theory]
    [MemberData(nameof(PrefixesOfA16BitLengthFrame))]
    public void EmitsNothingUntilTheLastByteOfAFrameWithA16BitLengthArrives(int prefixLength) =>
        AssertDecodedOnlyWhenComplete(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(200)), prefixLength);

    [Fact]
    public void DecodesAFrameFedOneByteAtATime()
    {
        var channel = NewChannel();
        var payload = ClientFrames.Payload(65536);
        var frameBytes = ClientFrames.Frame(WebSocketOpcode.Binary, payload);

        foreach (var b in frameBytes)
        {
            channel.WriteInboundBytes([b]);
        }

        Assert.Equal(payload, ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
    }

    [Fact]
    public void DecodesSeveralFramesArrivingInOneRead()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes([.. ClientFrames.Frame(WebSocketOpcode.Text, "one"u8), .. ClientFrames.Frame(WebSocketOpcode.Binary, "two"u8)]);

        Assert.Equal("one"u8.ToArray(), ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
        Assert.Equal("two"u8.ToArray(), ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
    }

    [Fact]
    public void AssemblesAFragmentedMessageIntoOneFinalFrame()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Text, "Hel"u8, fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, ""u8, fin: false));
        Assert.Null(channel.ReadInbound<object>());
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, "lo"u8));

        var frame = channel.ReadInbound<WebSocketFrame>();
        Assert.Equal(WebSocketOpcode.Text, frame.Opcode);
        Assert.True(frame.IsFinal);
        Assert.Equal("Hello", Encoding.UTF8.GetString(ReadAndRelease(frame)));
    }

    [Fact]
    public void PassesAPingArrivingBetweenFragmentsBeforeTheMessage()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, "ab"u8, fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Ping, "p"u8));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, "cd"u8));

        var ping = channel.ReadInbound<WebSocketFrame>();
        Assert.Equal(WebSocketOpcode.Ping, ping.Opcode);
        Assert.Equal("p"u8.ToArray(), ReadAndRelease(ping));
        Assert.Equal("abcd"u8.ToArray(), ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
        Assert.Empty(_protocolErrors);
    }

    [Fact]
    public void ClosesWith1002OnAnUnmaskedClientFrame() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Raw(0x82, "abc"u8, masked: false));

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x20)]
    [InlineData(0x10)]
    public void ClosesWith1002WhenAReservedBitIsSet(byte rsvBit) =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Raw((byte)(0x82 | rsvBit), "abc"u8, masked: true));

    [Theory]
    [InlineData(0x3)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xF)]
    public void ClosesWith1002OnAReservedOpcode(byte opcode) =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Raw((byte)(0x80 | opcode), "abc"u8, masked: true));

    [Fact]
    public void ClosesWith1002OnA64BitLengthWithTheTopBitSet() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, .. ClientFrames.MaskKey]);

    [Fact]
    public void ClosesWith1002OnAControlFrameLongerThan125Bytes() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Frame(WebSocketOpcode.Ping, ClientFrames.Payload(126)));

    [Fact]
    public void AcceptsAControlFrameOfExactly125Bytes()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Ping, ClientFrames.Payload(125)));

        Assert.Equal(ClientFrames.Payload(125), ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
    }

    [Fact]
    public void ClosesWith1002OnAFragmentedControlFrame() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Frame(WebSocketOpcode.Ping, "p"u8, fin: false));

    [Fact]
    public void ClosesWith1002OnAContinuationWithoutAStartedMessage() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Frame(WebSocketOpcode.Continuation, "x"u8));

    [Fact]
    public void ClosesWith1002OnANewDataFrameInsideAFragmentedMessage() =>
        AssertFailsWith(
            WebSocketCloseStatus.ProtocolError,
            [.. ClientFrames.Frame(WebSocketOpcode.Text, "a"u8, fin: false), .. ClientFrames.Frame(WebSocketOpcode.Text, "b"u8)]);

    [Fact]
    public void ClosesWith1009FromTheHeaderBeforeAnyPayloadArrives()
    {
        var channel = NewChannel(maxMessageBytes: 1024);
        var header = ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(1025)).AsSpan(..8);

        channel.WriteInboundBytes(header);

        AssertClosedWith(channel, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public void ClosesWith1009WhenFragmentsTogetherExceedTheLimit()
    {
        var channel = NewChannel(maxMessageBytes: 1024);

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(600), fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, ClientFrames.Payload(600)).AsSpan(..8));

        AssertClosedWith(channel, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public void ClosesWith1009WhenAHuge64BitLengthFollowsAFragment()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, "a"u8, fin: false));
        channel.WriteInboundBytes([0x80, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. ClientFrames.MaskKey]);

        AssertClosedWith(channel, WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public void AcceptsAMessageOfExactlyTheLimit()
    {
        var channel = NewChannel(maxMessageBytes: 1024);

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(1024)));

        Assert.Equal(1024, ReadAndRelease(channel.ReadInbound<WebSocketFrame>()).Length);
    }

    [Fact]
    public void ClosesWith1007OnInvalidUtf8InText() =>
        AssertFailsWith(WebSocketCloseStatus.InvalidPayloadData, ClientFrames.Frame(WebSocketOpcode.Text, [0x61, 0xFF, 0x62]));

    [Fact]
    public void ClosesWith1007AsSoonAsAFragmentHoldsInvalidUtf8()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Text, [0xC0, 0x80], fin: false));

        AssertClosedWith(channel, WebSocketCloseStatus.InvalidPayloadData);
    }

    [Fact]
    public void ClosesWith1007WhenATextMessageEndsInsideACodePoint() =>
        AssertFailsWith(WebSocketCloseStatus.InvalidPayloadData, ClientFrames.Frame(WebSocketOpcode.Text, [0x61, 0xE2, 0x82]));

    [Fact]
    public void AcceptsACodePointSplitAcrossFragments()
    {
        var channel = NewChannel();
        var euro = "\u20AC"u8.ToArray();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Text, euro.AsSpan(..1), fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, euro.AsSpan(1..2), fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Continuation, euro.AsSpan(2..)));

        Assert.Equal("\u20AC", Encoding.UTF8.GetString(ReadAndRelease(channel.ReadInbound<WebSocketFrame>())));
        Assert.Empty(_protocolErrors);
    }

    [Fact]
    public void DoesNotCheckBinaryMessagesForUtf8()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, [0xFF, 0xC0]));

        Assert.Equal([0xFF, 0xC0], ReadAndRelease(channel.ReadInbound<WebSocketFrame>()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2999)]
    [InlineData(5000)]
    public void ClosesWith1002OnACloseFrameWithAnInvalidCode(int code) =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Close((ushort)code, ""u8));

    [Fact]
    public void ClosesWith1002OnACloseFrameWithAOneBytePayload() =>
        AssertFailsWith(WebSocketCloseStatus.ProtocolError, ClientFrames.Frame(WebSocketOpcode.Close, [0x03]));

    [Fact]
    public void ClosesWith1007OnACloseReasonThatIsNotUtf8() =>
        AssertFailsWith(WebSocketCloseStatus.InvalidPayloadData, ClientFrames.Close(1000, [0xFF]));

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(3000)]
    [InlineData(4999)]
    public void DecodesACloseFrameWithAValidCodeAndReason(int code)
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Close((ushort)code, "bye \u00E9"u8));

        var close = Assert.IsType<CloseWebSocketFrame>(channel.ReadInbound<WebSocketFrame>());
        Assert.Equal((ushort)code, close.CloseStatus);
        Assert.Equal("bye \u00E9", close.Reason);
        Assert.True(close.Release());
    }

    [Fact]
    public void DecodesAnEmptyCloseFrameWithoutAStatus()
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Close, ""u8));

        var close = Assert.IsType<CloseWebSocketFrame>(channel.ReadInbound<WebSocketFrame>());
        Assert.Null(close.CloseStatus);
        Assert.Equal(string.Empty, close.Reason);
        Assert.True(close.Release());
    }

    [Fact]
    public void IgnoresBytesAfterTheClientsClose()
    {
        var channel = NewChannel();

        var input = channel.WriteInboundBytes([.. ClientFrames.Close(1000, ""u8), .. ClientFrames.Frame(WebSocketOpcode.Text, "late"u8)]);

        Assert.True(channel.ReadInbound<WebSocketFrame>().Release());
        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(0, input.ReferenceCount);
        Assert.Empty(_protocolErrors);
    }

    [Fact]
    public void IgnoresEverythingAfterAProtocolError()
    {
        var channel = NewChannel();

        var input = channel.WriteInboundBytes([.. ClientFrames.Raw(0x82, "abc"u8, masked: false), .. ClientFrames.Frame(WebSocketOpcode.Text, "late"u8)]);

        Assert.Equal(0, input.ReferenceCount);
        AssertClosedWith(channel, WebSocketCloseStatus.ProtocolError);
    }

    [Fact]
    public async Task ReleasesAHalfAssembledMessageWhenTheChannelCloses()
    {
        var allocator = new TrackingAllocator();
        var channel = NewChannel();
        channel.Configuration.Allocator = allocator;
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(300), fin: false));
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Ping, ClientFrames.Payload(100)).AsSpan(..50));
        Assert.NotEmpty(allocator.Unreleased);

        await channel.CloseAsync();

        Assert.Empty(allocator.Unreleased);
    }

    [Fact]
    public void ReleasesAHalfAssembledMessageOnAProtocolError()
    {
        var allocator = new TrackingAllocator();
        var channel = NewChannel();
        channel.Configuration.Allocator = allocator;
        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, ClientFrames.Payload(300), fin: false));

        channel.WriteInboundBytes(ClientFrames.Frame(WebSocketOpcode.Binary, "x"u8));

        AssertClosedWith(channel, WebSocketCloseStatus.ProtocolError);
        Assert.Empty(allocator.Unreleased);
    }

    private static TheoryData<int> Prefixes(int length)
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static byte[] ReadAndRelease(WebSocketFrame frame)
    {
        var bytes = new byte[frame.Content.ReadableBytes];
        frame.Content.GetBytes(frame.Content.ReaderIndex, bytes);
        Assert.True(frame.Release());
        return bytes;
    }

    private EmbeddedChannel NewChannel(int maxMessageBytes = 65536) =>
        new(new WebSocketFrameEncoder(), new WebSocketFrameDecoder(new WebSocketDecoderOptions(maxMessageBytes, _protocolErrors.Add)));

    private void AssertDecodedOnlyWhenComplete(byte[] frameBytes, int prefixLength)
    {
        var channel = NewChannel();

        channel.WriteInboundBytes(frameBytes.AsSpan(0, prefixLength));
        Assert.Null(channel.ReadInbound<object>());
        channel.WriteInboundBytes(frameBytes.AsSpan(prefixLength));

        var frame = channel.ReadInbound<WebSocketFrame>();
        Assert.NotNull(frame);
        Assert.True(frame.Release());
        Assert.Null(channel.ReadInbound<object>());
        Assert.Empty(_protocolErrors);
        Assert.True(channel.Open);
    }

    private void AssertFailsWith(ushort code, byte[] input)
    {
        var channel = NewChannel();

        var buffer = channel.WriteInboundBytes(input);

        Assert.Equal(0, buffer.ReferenceCount);
        AssertClosedWith(channel, code);
    }

    private void AssertClosedWith(EmbeddedChannel channel, ushort code)
    {
        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(code, ServerFrames.SingleCloseCode(channel.ReadAllOutboundBytes()));
        Assert.False(channel.Open);
        Assert.Equal([code], _protocolErrors);
    }
}
