using System.Text;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Embedded;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Codecs.WebSockets;

using PriceFeed.Tests.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Codecs.Http;

public sealed class WebSocketHandshakeTests
{
    private const string RfcExampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    [Fact]
    public void ComputesTheAcceptValueOfTheRfcExample() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.Accept(RfcExampleKey));

    [Fact]
    public void AcceptsAValidHandshakeWithTheDefaultSubprotocolAndDoesNotEchoIt()
    {
        var result = WebSocketHandshake.Validate(Request(), FeedSubprotocols.All);

        Assert.True(result.IsSuccess);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", result.AcceptKey);
        Assert.Equal(FeedSubprotocols.ProtoV1, result.Subprotocol);
        Assert.False(result.EchoSubprotocol);
    }

    [Theory]
    [InlineData("Upgrade", "websocket")]
    [InlineData("keep-alive, Upgrade", "WebSocket")]
    [InlineData("UPGRADE", "h2c, websocket")]
    public void MatchesUpgradeAndConnectionTokensCaseInsensitivelyInLists(string connection, string upgrade)
    {
        var result = WebSocketHandshake.Validate(Request(("Connection", connection), ("Upgrade", upgrade)), FeedSubprotocols.All);

        Assert.True(result.IsSuccess);
    }

    [Theory]
    [InlineData("Connection", "keep-alive")]
    [InlineData("Upgrade", "h2c")]
    public void Refuses400WhenUpgradeOrConnectionLacksItsToken(string name, string value)
    {
        var result = WebSocketHandshake.Validate(Request((name, value)), FeedSubprotocols.All);

        Assert.Equal(400, result.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]          // no padding
    [InlineData("dGhlIHNhbXBsZSBub25j")]            // 15 bytes once decoded
    [InlineData("dGhlIHNhbXBsZSBub25jZSE=")]        // 17 bytes
    [InlineData("not base64 at all!!!!!!=")]
    public void Refuses400WhenTheKeyIsMissingOrNotSixteenBytes(string? key)
    {
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Key", key)), FeedSubprotocols.All);

        Assert.False(result.IsSuccess);
        Assert.Equal(400, result.Status);
    }

    [Theory]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData(null)]
    public void Refuses426WithTheSupportedVersionWhenTheVersionIsNot13(string? version)
    {
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Version", version)), FeedSubprotocols.All);

        Assert.Equal(426, result.Status);
        Assert.Contains(new KeyValuePair<string, string>("Sec-WebSocket-Version", "13"), result.ExtraHeaders);
    }

    [Fact]
    public void Refuses405WhenTheMethodIsNotGet()
    {
        var result = WebSocketHandshake.Validate(Request(method: "POST"), FeedSubprotocols.All);

        Assert.Equal(405, result.Status);
        Assert.Contains(new KeyValuePair<string, string>("Allow", "GET"), result.ExtraHeaders);
    }

    [Fact]
    public void Refuses400OverHttp10() =>
        Assert.Equal(400, WebSocketHandshake.Validate(Request(versionMinor: 0), FeedSubprotocols.All).Status);

    [Theory]
    [InlineData("pricefeed.v1.json", "pricefeed.v1.json")]
    [InlineData("pricefeed.v1.proto", "pricefeed.v1.proto")]
    [InlineData("chat, pricefeed.v1.json", "pricefeed.v1.json")]
    [InlineData("pricefeed.v1.json, pricefeed.v1.proto", "pricefeed.v1.json")]
    [InlineData("pricefeed.v1.proto,pricefeed.v1.json", "pricefeed.v1.proto")]
    public void ChoosesTheFirstOfferedSubprotocolWeSupportAndEchoesIt(string offered, string chosen)
    {
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Protocol", offered)), FeedSubprotocols.All);

        Assert.True(result.IsSuccess);
        Assert.Equal(chosen, result.Subprotocol);
        Assert.True(result.EchoSubprotocol);
    }

    [Fact]
    public void ReadsOfferedSubprotocolsAcrossSeveralHeaderLines()
    {
        var headers = new HttpHeaders();
        AddValidHeaders(headers);
        headers.Add("Sec-WebSocket-Protocol", "chat");
        headers.Add("Sec-WebSocket-Protocol", "pricefeed.v1.json");

        var result = WebSocketHandshake.Validate(new HttpRequest("GET", "/ws", 1, headers), FeedSubprotocols.All);

        Assert.Equal(FeedSubprotocols.JsonV1, result.Subprotocol);
    }

    [Fact]
    public void Refuses400NamingTheSupportedSubprotocolsWhenTheClientOffersOnlyOthers()
    {
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Protocol", "chat, superchat")), FeedSubprotocols.All);

        Assert.Equal(400, result.Status);
        Assert.Contains("pricefeed.v1.proto, pricefeed.v1.json", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WritesTheSwitchingProtocolsAnswerAndKeepsTheConnectionOpen()
    {
        var (channel, context) = HttpResponsesTests.NewChannel();
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Protocol", "pricefeed.v1.json")), FeedSubprotocols.All);

        WebSocketHandshake.WriteSwitchingProtocolsAsync(context, result);

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Protocol: pricefeed.v1.json\r\n" +
            "\r\n",
            channel.ReadAllOutboundText());
        Assert.True(channel.Open);
    }

    [Fact]
    public void LeavesOutTheSubprotocolHeaderWhenTheClientOfferedNone()
    {
        var (channel, context) = HttpResponsesTests.NewChannel();

        WebSocketHandshake.WriteSwitchingProtocolsAsync(context, WebSocketHandshake.Validate(Request(), FeedSubprotocols.All));

        Assert.DoesNotContain("Sec-WebSocket-Protocol", channel.ReadAllOutboundText(), StringComparison.Ordinal);
    }

    [Fact]
    public void WritesARejectionWithItsHeadersAndClosesTheConnection()
    {
        var (channel, context) = HttpResponsesTests.NewChannel();
        var result = WebSocketHandshake.Validate(Request(("Sec-WebSocket-Version", "8")), FeedSubprotocols.All);

        WebSocketHandshake.WriteRejectionAsync(context, result);

        var response = channel.ReadAllOutboundText();
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", response, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", response, StringComparison.Ordinal);
        Assert.False(channel.Open);
    }

    [Fact]
    public void HandsOverToTheWebSocketHandlersWithTheFramesThatCameWithTheRequest()
    {
        var channel = new EmbeddedChannel();
        channel.Pipeline.AddLast("http-decoder", new HttpRequestDecoder(new HttpDecoderOptions()));
        channel.Pipeline.AddLast("router", new UpgradingRouter());
        var request =
            "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {RfcExampleKey}\r\nSec-WebSocket-Version: 13\r\n\r\n";

        channel.WriteInboundBytes([.. Encoding.ASCII.GetBytes(request), .. ClientFrames.Frame(WebSocketOpcode.Ping, "hi"u8), .. ClientFrames.Frame(WebSocketOpcode.Binary, [7])]);

        var output = channel.ReadAllOutboundBytes();
        var response = Encoding.ASCII.GetString(output);
        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", response, StringComparison.Ordinal);
        var pong = Assert.Single(ServerFrames.Parse(output[headEnd..]));
        Assert.Equal(WebSocketOpcode.Pong, pong.Opcode);
        var message = channel.ReadInbound<WebSocketFrame>();
        Assert.Equal([7], message.Content.ReadableToArray());
        Assert.True(message.Release());
        Assert.Null(channel.Pipeline.Get("http-decoder"));
        Assert.Null(channel.Pipeline.Get("router"));
        Assert.NotNull(channel.Pipeline.Get("ws-decoder"));
    }

    /// <summary>The RFC 6455 1.2 example request, with headers replaced (a null value removes the header).</summary>
    private static HttpRequest Request(params (string Name, string? Value)[] overrides) => Request("GET", 1, overrides);

    private static HttpRequest Request(string method = "GET", int versionMinor = 1, params (string Name, string? Value)[] overrides)
    {
        var headers = new HttpHeaders();
        var replaced = overrides.Select(o => o.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var valid = new HttpHeaders();
        AddValidHeaders(valid);
        foreach (var field in valid.Fields.Where(f => !replaced.Contains(f.Key)))
        {
            headers.Add(field.Key, field.Value);
        }

        foreach (var (name, value) in overrides.Where(o => o.Value is not null))
        {
            headers.Add(name, value!);
        }

        return new HttpRequest(method, "/ws", versionMinor, headers);
    }

    private static void AddValidHeaders(HttpHeaders headers)
    {
        headers.Add("Host", "server.example.com");
        headers.Add("Upgrade", "websocket");
        headers.Add("Connection", "Upgrade");
        headers.Add("Sec-WebSocket-Key", RfcExampleKey);
        headers.Add("Origin", "http://example.com");
        headers.Add("Sec-WebSocket-Version", "13");
    }

    /// <summary>What the server's router does with an upgrade request: answer 101, put the WebSocket handlers in,
    /// and take the HTTP ones out during the same read.</summary>
    private sealed class UpgradingRouter : ChannelHandlerAdapter
    {
        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            var result = WebSocketHandshake.Validate((HttpRequest)message, FeedSubprotocols.All);
            Assert.True(result.IsSuccess);
            WebSocketHandshake.WriteSwitchingProtocolsAsync(context, result);

            var pipeline = context.Channel.Pipeline;
            pipeline.AddAfter(context.Name, "ws-encoder", new WebSocketFrameEncoder());
            pipeline.AddAfter("ws-encoder", "ws-decoder", new WebSocketFrameDecoder(new WebSocketDecoderOptions()));
            pipeline.AddAfter("ws-decoder", "ws-protocol", new WebSocketProtocolHandler(new WebSocketProtocolOptions()));
            pipeline.Remove(this);
            pipeline.Remove("http-decoder");
        }
    }
}
