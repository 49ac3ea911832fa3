using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;
using Subprotocols = PriceFeed.Server.Wire.FeedSubprotocols;

namespace PriceFeed.Tests.Integration;

/// <summary>The WebSocket conversation with <see cref="ClientWebSocket"/>: hello, negotiation, ping, fragments, closes.</summary>
public sealed class WebSocketSessionTests
{
    [Fact]
    public async Task HelloArrivesFirstOnTheProtoSubprotocolWhenNoneIsOffered()
    {
        await using var server = await TestServer.StartAsync(o => o with { Policy = SlowConsumerPolicy.Drop, MaxSymbolsPerClient = 123 });
        await using var client = await FeedClient.ConnectAsync(server.WsUri);

        var (type, payload) = await client.ReceiveRawAsync();
        var hello = ServerMessage.Parser.ParseFrom(payload);

        // RFC 6455 4.2.2: with none offered, none is echoed; the contract's default applies.
        Assert.Null(client.Socket.SubProtocol);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, hello.BodyCase);
        Assert.Equal(Subprotocols.ProtoV1, hello.Hello.Protocol);
        Assert.Equal("integration-test", hello.Hello.ServerId);
        Assert.Equal((uint)TestServer.DefaultOptions.Limits.HeartbeatIntervalMs, hello.Hello.HeartbeatIntervalMs);
        Assert.Equal(123u, hello.Hello.MaxSymbolsPerClient);
        Assert.Equal("drop", hello.Hello.SlowConsumerPolicy);
    }

    [Fact]
    public async Task ProtoSubprotocolIsEchoedWhenOffered()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.ProtoV1);

        var hello = await client.ReceiveAsync();

        Assert.Equal(Subprotocols.ProtoV1, client.Socket.SubProtocol);
        Assert.Equal(Subprotocols.ProtoV1, hello.Hello.Protocol);
    }

    [Fact]
    public async Task JsonSubprotocolIsNegotiatedAndHelloComesAsJsonText()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { HeartbeatIntervalMs = 7_000 });
        await using var client = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.JsonV1);

        var (type, payload) = await client.ReceiveRawAsync();
        var hello = JsonParser.Default.Parse<ServerMessage>(Encoding.UTF8.GetString(payload));

        Assert.Equal(Subprotocols.JsonV1, client.Socket.SubProtocol);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(Subprotocols.JsonV1, hello.Hello.Protocol);
        Assert.Equal(7_000u, hello.Hello.HeartbeatIntervalMs);
        Assert.Equal("conflate", hello.Hello.SlowConsumerPolicy);
    }

    [Theory]
    [InlineData(Subprotocols.ProtoV1)]
    [InlineData(Subprotocols.JsonV1)]
    public async Task PingIsAnsweredByPongEchoingClientTime(string subprotocol)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, subprotocol);
        await client.ReadHelloAsync();
        var before = UnixTime.NowNs();

        var pong = await client.PingAsync(123_456_789_012L);

        Assert.InRange(pong.ServerTimeNs, before - 1_000_000_000L, UnixTime.NowNs() + 1_000_000_000L);
    }

    [Theory]
    [InlineData(Subprotocols.ProtoV1)]
    [InlineData(Subprotocols.JsonV1)]
    public async Task MessageSentInSeveralFragmentsIsUnderstood(string subprotocol)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, subprotocol);
        await client.ReadHelloAsync();
        var bytes = client.Encode(new ClientMessage { Ping = new Ping { ClientTimeNs = 987_654_321L } });
        var type = client.IsJson ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        var cut1 = bytes.Length / 3;
        var cut2 = 2 * bytes.Length / 3;

        await client.SendRawAsync(bytes[..cut1], type, endOfMessage: false);
        await client.SendRawAsync(bytes[cut1..cut2], type, endOfMessage: false);
        await client.SendRawAsync(bytes[cut2..], type, endOfMessage: true);
        var answer = await client.ReceiveAsync();

        Assert.Equal(ServerMessage.BodyOneofCase.Pong, answer.BodyCase);
        Assert.Equal(987_654_321L, answer.Pong.ClientTimeNs);
    }

    [Fact]
    public async Task ClientCloseIsEchoedWith1000()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri);
        await client.ReadHelloAsync();

        using var deadline = Eventually.Deadline();
        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", deadline.Token);

        Assert.Equal(WebSocketState.Closed, client.Socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 0, "the server drops the closed connection");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0x1A, 0x05, 0x08 })]
    [InlineData(new byte[0])]
    public async Task UnparsableBinaryMessageGetsErrorThenClose1007(byte[] garbage)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri);
        await client.ReadHelloAsync();

        await client.SendRawAsync(garbage, WebSocketMessageType.Binary);
        var (status, before) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        var error = Assert.Single(before);
        var message = ServerMessage.Parser.ParseFrom(error);
        Assert.Equal(ServerMessage.BodyOneofCase.Error, message.BodyCase);
        Assert.Equal(1007u, message.Error.Code);
        Assert.NotEmpty(message.Error.Message);
    }

    [Fact]
    public async Task UnparsableJsonMessageGetsErrorThenClose1007()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.JsonV1);
        await client.ReadHelloAsync();

        await client.SendRawAsync("{\"ping\": "u8.ToArray(), WebSocketMessageType.Text);
        var (status, before) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        var error = JsonParser.Default.Parse<ServerMessage>(Encoding.UTF8.GetString(Assert.Single(before)));
        Assert.Equal(1007u, error.Error.Code);
    }

    [Fact]
    public async Task TextFrameOnTheBinarySubprotocolClosesWith1003()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.ProtoV1);
        await client.ReadHelloAsync();

        await client.SendRawAsync("{\"ping\":{}}"u8.ToArray(), WebSocketMessageType.Text);
        var (status, _) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
    }

    [Fact]
    public async Task BinaryFrameOnTheJsonSubprotocolClosesWith1003()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.JsonV1);
        await client.ReadHelloAsync();

        await client.SendRawAsync(new ClientMessage { Ping = new Ping() }.ToByteArray(), WebSocketMessageType.Binary);
        var (status, _) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
    }

    [Fact]
    public async Task MessageOverMaxMessageBytesClosesWith1009()
    {
        const int limit = 4_096;
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxMessageBytes = limit });
        await using var client = await FeedClient.ConnectAsync(server.WsUri);
        await client.ReadHelloAsync();

        await client.SendRawAsync(new byte[limit + 1], WebSocketMessageType.Binary);
        var (status, _) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
    }

    [Fact]
    public async Task MessageOfExactlyMaxMessageBytesInFragmentsIsAccepted()
    {
        const int limit = 4_096;
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxMessageBytes = limit });
        await using var client = await FeedClient.ConnectAsync(server.WsUri);
        await client.ReadHelloAsync();

        // A ping padded with an unknown field up to the limit: protobuf parsers skip unknown fields.
        var ping = new ClientMessage { Ping = new Ping { ClientTimeNs = 42 } }.ToByteArray();
        var padding = limit - ping.Length - 3; // tag (field 15, length-delimited) + 2-byte length
        var message = new byte[limit];
        ping.CopyTo(message, 0);
        message[ping.Length] = (15 << 3) | 2;
        message[ping.Length + 1] = (byte)(0x80 | (padding & 0x7F));
        message[ping.Length + 2] = (byte)(padding >> 7);
        await client.SendRawAsync(message[..(limit / 2)], WebSocketMessageType.Binary, endOfMessage: false);
        await client.SendRawAsync(message[(limit / 2)..], WebSocketMessageType.Binary, endOfMessage: true);
        var answer = await client.ReceiveAsync();

        Assert.Equal(42L, answer.Pong.ClientTimeNs);
    }
}
