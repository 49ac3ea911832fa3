using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.Http;

namespace PriceFeed.Tests.Codecs.Http;

public sealed class HttpResponsesTests
{
    [Fact]
    public void WritesAKeepAliveResponseWithItsLengthAndTypeAndLeavesTheConnectionOpen()
    {
        var (channel, context) = NewChannel();

        HttpResponses.WriteAsync(context, 200, "application/json", "[\"EURUSD\"]"u8.ToArray(), keepAlive: true);

        var response = channel.ReadAllOutboundText();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: application/json\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 10\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: keep-alive\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nDate: ", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n[\"EURUSD\"]", response, StringComparison.Ordinal);
        Assert.True(channel.Open);
    }

    [Fact]
    public void ClosesTheConnectionAfterTheResponseWhenNotKeptAlive()
    {
        var (channel, context) = NewChannel();

        var written = HttpResponses.WriteAsync(context, 404, "text/plain", "no"u8.ToArray(), keepAlive: false);

        Assert.Contains("\r\nConnection: close\r\n", channel.ReadAllOutboundText(), StringComparison.Ordinal);
        Assert.True(written.IsCompleted);
        Assert.False(channel.Open);
    }

    [Fact]
    public void AnswersHeadWithTheLengthOfTheBodyButNoBody()
    {
        var (channel, context) = NewChannel();

        HttpResponses.WriteAsync(context, 200, "text/html", new byte[1234], keepAlive: true, headOnly: true);

        var response = channel.ReadAllOutboundText();
        Assert.Contains("\r\nContent-Length: 1234\r\n", response, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public void WritesExtraHeadersAndRefusesOnesThatWouldSplitTheResponse()
    {
        var (channel, context) = NewChannel();

        HttpResponses.WriteAsync(context, 405, string.Empty, ReadOnlyMemory<byte>.Empty, keepAlive: true, extraHeaders: [new("Allow", "GET")]);

        var response = channel.ReadAllOutboundText();
        Assert.Contains("\r\nAllow: GET\r\n", response, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Type", response, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() =>
        {
            _ = HttpResponses.WriteAsync(context, 200, "text/plain", ReadOnlyMemory<byte>.Empty, keepAlive: true, extraHeaders: [new("X", "a\r\nSet-Cookie: b")]);
        });
    }

    [Theory]
    [InlineData(400, "Bad Request")]
    [InlineData(414, "URI Too Long")]
    [InlineData(426, "Upgrade Required")]
    [InlineData(431, "Request Header Fields Too Large")]
    [InlineData(505, "HTTP Version Not Supported")]
    public void NamesTheReasonPhraseOfAStatus(int status, string reason) =>
        Assert.Equal(reason, HttpResponses.ReasonPhrase(status));

    internal static (EmbeddedChannel Channel, IChannelHandlerContext Context) NewChannel()
    {
        var channel = new EmbeddedChannel(new ChannelHandlerAdapter());
        return (channel, channel.Pipeline.FirstContext());
    }
}
