using System.Text;
using DotNetty.Buffers;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.Http;

namespace PriceFeed.Tests.Codecs.Http;

public sealed class HttpRequestDecoderTests
{
    private const string UpgradeRequest =
        "GET /ws?token=a%20b&x=1 HTTP/1.1\r\n" +
        "Host: localhost:8080\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: keep-alive, Upgrade\r\n" +
        "Sec-WebSocket-Protocol: pricefeed.v1.json\r\n" +
        "Sec-WebSocket-Protocol: pricefeed.v1.proto\r\n" +
        "\r\n";

    private readonly List<int> _errors = [];

    public static TheoryData<int> PrefixesOfTheUpgradeRequest
    {
        get
        {
            var data = new TheoryData<int>();
            for (var i = 0; i < UpgradeRequest.Length; i++)
            {
                data.Add(i);
            }

            return data;
        }
    }

    [Fact]
    public void DecodesTheRequestLineAndHeaders()
    {
        var channel = NewChannel();

        var input = Write(channel, UpgradeRequest);

        var request = channel.ReadInbound<HttpRequest>();
        Assert.Equal("GET", request.Method);
        Assert.Equal("/ws?token=a%20b&x=1", request.Target);
        Assert.Equal("/ws", request.Path);
        Assert.Equal("token=a%20b&x=1", request.Query);
        Assert.Equal(1, request.VersionMinor);
        Assert.Equal(5, request.Headers.Count);
        Assert.Equal("localhost:8080", request.Headers.Get("HOST"));
        Assert.Equal(["pricefeed.v1.json", "pricefeed.v1.proto"], request.Headers.GetAll("sec-websocket-protocol"));
        Assert.True(request.Headers.ContainsToken("connection", "UPGRADE"));
        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(0, input.ReferenceCount);
        Assert.Empty(channel.ReadAllOutboundBytes());
    }

    [Theory]
    [MemberData(nameof(PrefixesOfTheUpgradeRequest))]
    public void EmitsNothingUntilTheHeaderSectionEnds(int prefixLength)
    {
        var channel = NewChannel();

        Write(channel, UpgradeRequest[..prefixLength]);
        Assert.Null(channel.ReadInbound<object>());
        Write(channel, UpgradeRequest[prefixLength..]);

        Assert.Equal("/ws", channel.ReadInbound<HttpRequest>().Path);
        Assert.Null(channel.ReadInbound<object>());
        Assert.Empty(channel.ReadAllOutboundBytes());
        Assert.Empty(_errors);
    }

    [Fact]
    public void DecodesARequestFedOneByteAtATime()
    {
        var channel = NewChannel();

        foreach (var c in UpgradeRequest)
        {
            Write(channel, c.ToString());
        }

        Assert.Equal("/ws", channel.ReadInbound<HttpRequest>().Path);
    }

    [Fact]
    public void DecodesPipelinedRequestsInOrder()
    {
        var channel = NewChannel();

        Write(channel, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n");

        Assert.Equal("/a", channel.ReadInbound<HttpRequest>().Path);
        Assert.Equal("/b", channel.ReadInbound<HttpRequest>().Path);
        Assert.Equal("HEAD", channel.ReadInbound<HttpRequest>().Method);
        Assert.Null(channel.ReadInbound<object>());
    }

    [Fact]
    public void IgnoresAnEmptyLineBeforeTheRequestLine()
    {
        var channel = NewChannel();

        Write(channel, "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");

        Assert.Equal("/", channel.ReadInbound<HttpRequest>().Path);
    }

    [Fact]
    public void AcceptsHttp10WithoutHost()
    {
        var channel = NewChannel();

        Write(channel, "GET /healthz HTTP/1.0\r\n\r\n");

        var request = channel.ReadInbound<HttpRequest>();
        Assert.Equal(0, request.VersionMinor);
        Assert.False(request.KeepAlive);
    }

    [Fact]
    public void AcceptsAnEmptyBodyDeclaredWithContentLengthZero()
    {
        var channel = NewChannel();

        Write(channel, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");

        Assert.NotNull(channel.ReadInbound<HttpRequest>());
    }

    [Fact]
    public void Answers414WhenTheRequestLineIsTooLongWithoutWaitingForItsEnd()
    {
        var channel = NewChannel(new HttpDecoderOptions(MaxRequestLineBytes: 64));

        Write(channel, "GET /" + new string('a', 80));

        AssertAnsweredAndClosed(channel, 414);
    }

    [Fact]
    public void AcceptsARequestLineOfExactlyTheLimit()
    {
        var line = "GET /" + new string('a', 64 - "GET / HTTP/1.1\r\n".Length) + " HTTP/1.1\r\n";
        Assert.Equal(64, line.Length);
        var channel = NewChannel(new HttpDecoderOptions(MaxRequestLineBytes: 64));

        Write(channel, line + "Host: h\r\n\r\n");

        Assert.NotNull(channel.ReadInbound<HttpRequest>());
    }

    [Fact]
    public void Answers431WhenTheHeaderSectionIsTooLong()
    {
        var channel = NewChannel(new HttpDecoderOptions(MaxHeaderBytes: 64));

        Write(channel, "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + new string('c', 60) + "\r\n\r\n");

        AssertAnsweredAndClosed(channel, 431);
    }

    [Fact]
    public void Answers431WhenThereAreTooManyHeaders()
    {
        var channel = NewChannel(new HttpDecoderOptions(MaxHeaderCount: 3));

        Write(channel, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");

        AssertAnsweredAndClosed(channel, 431);
    }

    [Theory]
    [InlineData("GET  / HTTP/1.1\r\nHost: h\r\n\r\n")]              // two spaces
    [InlineData("GET / HTTP/1.1 \r\nHost: h\r\n\r\n")]              // trailing space
    [InlineData("G(T / HTTP/1.1\r\nHost: h\r\n\r\n")]               // a separator in the method
    [InlineData("GET /\u0001 HTTP/1.1\r\nHost: h\r\n\r\n")]         // a control character in the target
    [InlineData("GET / HTTX/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET / HTTP/1.10\r\nHost: h\r\n\r\n")]
    [InlineData("GET /\r\nHost: h\r\n\r\n")]                        // HTTP/0.9
    [InlineData("GET / HTTP/1.1\nHost: h\r\n\r\n")]                 // bare LF
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nName : x\r\n\r\n")]   // whitespace before the colon
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n")]        // empty name
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n folded\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA: b\u0000c\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]                          // HTTP/1.1 without Host
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    public void Answers400ToAMalformedRequest(string request)
    {
        var channel = NewChannel();

        Write(channel, request);

        AssertAnsweredAndClosed(channel, 400);
    }

    [Theory]
    [InlineData("HTTP/2.0")]
    [InlineData("HTTP/0.9")]
    [InlineData("HTTP/3.0")]
    public void Answers505ToAVersionOtherThanHttp1(string version)
    {
        var channel = NewChannel();

        Write(channel, $"GET / {version}\r\nHost: h\r\n\r\n");

        AssertAnsweredAndClosed(channel, 505);
    }

    [Fact]
    public void ReadsAHigherMinorVersionAsHttp11()
    {
        var channel = NewChannel();

        Write(channel, "GET / HTTP/1.9\r\nHost: h\r\n\r\n");

        Assert.Equal(1, channel.ReadInbound<HttpRequest>().VersionMinor);
    }

    [Fact]
    public void Answers413ToABodyAndDoesNotReadItAsTheNextRequest()
    {
        var channel = NewChannel();

        Write(channel, "POST /api/symbols HTTP/1.1\r\nHost: h\r\nContent-Length: 28\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");

        AssertAnsweredAndClosed(channel, 413);
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n")]
    [InlineData("Content-Length: 1, 2\r\n")]
    [InlineData("Content-Length: 1\r\nContent-Length: 2\r\n")]
    [InlineData("Content-Length: -1\r\n")]
    [InlineData("Content-Length: abc\r\n")]
    public void Answers400ToATransferEncodingOrAnInvalidContentLength(string headers)
    {
        var channel = NewChannel();

        Write(channel, "POST / HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n0\r\n\r\n");

        AssertAnsweredAndClosed(channel, 400);
    }

    [Fact]
    public void IgnoresEverythingAfterAnError()
    {
        var channel = NewChannel();

        var input = Write(channel, "GET / HTTP/2.0\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");

        AssertAnsweredAndClosed(channel, 505);
        Assert.Equal(0, input.ReferenceCount);
    }

    [Fact]
    public void PassesTheBytesAfterTheRequestOnWhenRemovedWhileItIsRead()
    {
        var channel = new EmbeddedChannel();
        channel.Pipeline.AddLast("http-decoder", new HttpRequestDecoder(new HttpDecoderOptions()));
        channel.Pipeline.AddLast("upgrader", new RemoveDecoderOnRequest());

        Write(channel, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n\u0082\u0080frame bytes");

        Assert.IsType<HttpRequest>(channel.ReadInbound<object>());
        var rest = channel.ReadInbound<IByteBuffer>();
        Assert.Equal("\u0082\u0080frame bytes", Encoding.Latin1.GetString(rest.ReadableToArray()));
        Assert.True(rest.Release());
    }

    [Fact]
    public void PassesTheBytesAfterTheRequestOnEvenWhenTheyLookLikeHttp()
    {
        // Regression (found by HttpRequestDecoderFuzzTests): DotNetty's base loop decoded every request in the
        // buffer before passing any on, so a frame holding CRLF after an upgrade request was answered 400 before
        // the router could take the decoder out.
        var channel = new EmbeddedChannel();
        channel.Pipeline.AddLast("http-decoder", new HttpRequestDecoder(new HttpDecoderOptions() with { OnError = _errors.Add }));
        channel.Pipeline.AddLast("upgrader", new RemoveDecoderOnRequest());

        Write(channel, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n\u0082\u0085\r\nGET / HTTP/1.1\r\n\r\n");

        Assert.IsType<HttpRequest>(channel.ReadInbound<object>());
        var rest = channel.ReadInbound<IByteBuffer>();
        Assert.Equal("\u0082\u0085\r\nGET / HTTP/1.1\r\n\r\n", Encoding.Latin1.GetString(rest.ReadableToArray()));
        Assert.True(rest.Release());
        Assert.Empty(channel.ReadAllOutboundBytes());
        Assert.Empty(_errors);
    }

    [Fact]
    public void HoldsTheBytesAfterASuspendedRequestUntilTakenOut()
    {
        var decoder = new HttpRequestDecoder(new HttpDecoderOptions() with { OnError = _errors.Add });
        var channel = new EmbeddedChannel();
        channel.Pipeline.AddLast("http-decoder", decoder);
        channel.Pipeline.AddLast("router", new SuspendOnRequest(decoder));

        Write(channel, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        Write(channel, "more\r\n");

        Assert.Equal("/ws", channel.ReadInbound<HttpRequest>().Path);
        Assert.Null(channel.ReadInbound<object>());
        Assert.Equal(34, decoder.BufferedBytes);
        channel.Pipeline.Remove(decoder);
        var rest = channel.ReadInbound<IByteBuffer>();
        Assert.Equal("GET /b HTTP/1.1\r\nHost: h\r\n\r\nmore\r\n", Encoding.Latin1.GetString(rest.ReadableToArray()));
        Assert.True(rest.Release());
        Assert.Empty(_errors);
    }

    [Fact]
    public void ClosesASuspendedConnectionThatSendsMoreThanARequestHeadWithoutAnswering()
    {
        var options = new HttpDecoderOptions(MaxRequestLineBytes: 64, MaxHeaderBytes: 64) with { OnError = _errors.Add };
        var decoder = new HttpRequestDecoder(options);
        var channel = new EmbeddedChannel();
        channel.Pipeline.AddLast("http-decoder", decoder);
        channel.Pipeline.AddLast("router", new SuspendOnRequest(decoder));

        Write(channel, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n" + new string('x', 128));
        Assert.True(channel.Open);
        Write(channel, "x");

        Assert.False(channel.Open);
        Assert.Empty(channel.ReadAllOutboundBytes());
        Assert.Empty(_errors);
    }

    private static IByteBuffer Write(EmbeddedChannel channel, string text) =>
        channel.WriteInboundBytes(Encoding.Latin1.GetBytes(text));

    private EmbeddedChannel NewChannel(HttpDecoderOptions? options = null) =>
        new(new HttpRequestDecoder((options ?? new HttpDecoderOptions()) with { OnError = _errors.Add }));

    private void AssertAnsweredAndClosed(EmbeddedChannel channel, int status)
    {
        var response = channel.ReadAllOutboundText();
        Assert.StartsWith($"HTTP/1.1 {status} {HttpResponses.ReasonPhrase(status)}\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", response, StringComparison.Ordinal);
        Assert.Null(channel.ReadInbound<object>());
        Assert.False(channel.Open);
        Assert.Equal([status], _errors);
    }

    /// <summary>Does what the router does while it checks a token: suspends the decoder during the request's read.</summary>
    private sealed class SuspendOnRequest(HttpRequestDecoder decoder) : ChannelHandlerAdapter
    {
        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            context.FireChannelRead(message);
            decoder.Suspend();
        }
    }

    /// <summary>Does what the router does on an upgrade: takes the HTTP decoder out during the request's read.</summary>
    private sealed class RemoveDecoderOnRequest : ChannelHandlerAdapter
    {
        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            context.FireChannelRead(message);
            if (message is HttpRequest)
            {
                context.Channel.Pipeline.Remove("http-decoder");
            }
        }
    }
}
