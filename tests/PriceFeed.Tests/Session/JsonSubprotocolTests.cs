using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Session;

/// <summary>The <c>pricefeed.v1.json</c> subprotocol end to end: a real server, real WebSocket clients.</summary>
public sealed class JsonSubprotocolTests
{
    private static readonly JsonParser s_parser = new(JsonParser.Settings.Default);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("conflate")]
    [InlineData("drop")]
    public async Task QuotesArriveAsTextFramesOfCanonicalJson(string policy)
    {
        await using var local = await TestServer.StartAsync(o => o with { Symbols = 20, Rate = 2_000, Seed = 6, Policy = Enum.Parse<SlowConsumerPolicy>(policy, ignoreCase: true) });
        using var client = await ConnectAsync(local, "pricefeed.v1.json");

        var hello = await ReceiveJsonAsync(client);
        Assert.Equal("pricefeed.v1.json", hello.Hello.Protocol);

        var symbols = local.Server.Symbols.ToArray()[..5];
        // A snapshot holds the symbols that have a quote: wait until these do.
        Eventually.Until(() => Enumerable.Range(0, 5).All(id => local.Server.Cache.LatestSeq(id) > 0), "the first symbols have quotes");
        await SendTextAsync(client, $$$"""{"subscribe":{"requestId":"7","symbols":[{{{string.Join(',', symbols.Select(s => $"\"{s}\""))}}}]}}""");
        var result = await ReceiveJsonAsync(client);
        Assert.Equal(7ul, result.SubscribeResult.RequestId);
        Assert.Equal(symbols, result.SubscribeResult.Accepted);

        // Snapshot first, then live updates; per symbol, seq strictly increases across both.
        var lastSeq = new Dictionary<string, ulong>();
        var snapshotSeen = false;
        var live = 0;
        while (live < 200)
        {
            var message = await ReceiveJsonAsync(client);
            var batch = message.BodyCase switch
            {
                ServerMessage.BodyOneofCase.Snapshot when !snapshotSeen && live == 0 => message.Snapshot,
                ServerMessage.BodyOneofCase.Quotes => message.Quotes,
                _ => throw new Xunit.Sdk.XunitException($"unexpected {message.BodyCase} after {live} live quotes"),
            };
            snapshotSeen |= message.BodyCase == ServerMessage.BodyOneofCase.Snapshot;
            live += message.BodyCase == ServerMessage.BodyOneofCase.Quotes ? batch.Quotes.Count : 0;
            foreach (var quote in batch.Quotes)
            {
                Assert.Contains(quote.Symbol, symbols);
                Assert.True(quote.Seq > lastSeq.GetValueOrDefault(quote.Symbol), $"{quote.Symbol}: seq {quote.Seq} after {lastSeq.GetValueOrDefault(quote.Symbol)}");
                Assert.True(quote.Ask >= quote.Bid && quote.Bid > 0 && quote.PublishTimeNs > 0, quote.ToString());
                lastSeq[quote.Symbol] = quote.Seq;
            }
        }

        Assert.True(snapshotSeen);
        Assert.Equal(1, local.Server.Registry.JsonSessions);
    }

    [Fact]
    public async Task ProtobufAndJsonClientsGetTheSameQuotesAtTheSameTime()
    {
        await using var local = await TestServer.StartAsync(o => o with { Symbols = 20, Rate = 2_000, Seed = 6 });
        using var json = await ConnectAsync(local, "pricefeed.v1.json");
        using var proto = await ConnectAsync(local, "pricefeed.v1.proto");
        await ReceiveJsonAsync(json);
        await ReceiveProtoAsync(proto);
        var symbol = local.Server.Symbols.GetName(0);

        await SendTextAsync(json, $$$"""{"subscribe":{"symbols":["{{{symbol}}}"],"skipSnapshot":true}}""");
        await proto.SendAsync(
            new ClientMessage { Subscribe = new Subscribe { Symbols = { symbol }, SkipSnapshot = true } }.ToByteArray(),
            WebSocketMessageType.Binary, true, CancellationToken.None);
        await ReceiveJsonAsync(json);
        await ReceiveProtoAsync(proto);

        // Collect each side's quotes by seq until they share 20; any shared seq must be the same quote.
        var fromJson = new Dictionary<ulong, Quote>();
        var fromProto = new Dictionary<ulong, Quote>();
        while (fromJson.Keys.Intersect(fromProto.Keys).Count() < 20)
        {
            foreach (var quote in (await ReceiveJsonAsync(json)).Quotes.Quotes)
            {
                fromJson[quote.Seq] = quote;
            }

            foreach (var quote in (await ReceiveProtoAsync(proto)).Quotes.Quotes)
            {
                fromProto[quote.Seq] = quote;
            }
        }

        foreach (var seq in fromJson.Keys.Intersect(fromProto.Keys))
        {
            Assert.Equal(fromProto[seq], fromJson[seq]);
        }
    }

    [Fact]
    public async Task CountsJsonSessionsOnlyWhileTheyAreSubscribed()
    {
        await using var local = await TestServer.StartAsync(o => o with { Symbols = 20, Rate = 2_000, Seed = 6 });
        var registry = local.Server.Registry;
        using var client = await ConnectAsync(local, "pricefeed.v1.json");
        await ReceiveJsonAsync(client);
        Assert.Equal(0, registry.JsonSessions);

        await SendTextAsync(client, """{"subscribe":{"symbols":["*"],"skipSnapshot":true}}""");
        await ReceiveJsonAsync(client);
        Assert.Equal(1, registry.JsonSessions);

        await SendTextAsync(client, """{"unsubscribe":{"symbols":["*"]}}""");
        Eventually.Until(() => registry.JsonSessions == 0, "the unsubscribed JSON session is no longer counted");

        await SendTextAsync(client, """{"subscribe":{"symbols":["NO-SUCH-SYMBOL"]}}""");
        var result = await ReceiveJsonAsync(client, ServerMessage.BodyOneofCase.SubscribeResult);
        Assert.Equal("unknown_symbol", result.SubscribeResult.Rejected.Single().Reason);
        Assert.Equal(0, registry.JsonSessions);

        await SendTextAsync(client, $$$"""{"subscribe":{"symbols":["{{{local.Server.Symbols.GetName(1)}}}"]}}""");
        await ReceiveJsonAsync(client);
        Assert.Equal(1, registry.JsonSessions);

        client.Abort();
        Eventually.Until(() => registry.JsonSessions == 0, "the closed JSON session is no longer counted");
    }

    [Theory]
    [InlineData("{\"subscribe\":")]
    [InlineData("not json at all")]
    [InlineData("{}")]
    [InlineData("{\"hello\":{}}")]
    public async Task InvalidOrUnknownMessageGetsAnErrorAndClose1007(string text)
    {
        await using var local = await TestServer.StartAsync(o => o with { Symbols = 20, Rate = 2_000, Seed = 6 });
        using var client = await ConnectAsync(local, "pricefeed.v1.json");
        await ReceiveJsonAsync(client);

        await SendTextAsync(client, text);

        var error = await ReceiveJsonAsync(client);
        Assert.Equal(ServerMessage.BodyOneofCase.Error, error.BodyCase);
        Assert.Equal(1007u, error.Error.Code);
        using var timeout = new CancellationTokenSource(s_timeout);
        var buffer = new byte[4096];
        WebSocketReceiveResult received;
        do
        {
            received = await client.ReceiveAsync(buffer, timeout.Token);
        }
        while (received.MessageType != WebSocketMessageType.Close);

        Assert.Equal((WebSocketCloseStatus)1007, client.CloseStatus);
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestServer local, string subprotocol)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol(subprotocol);
        using var timeout = new CancellationTokenSource(s_timeout);
        await client.ConnectAsync(local.WsUri, timeout.Token);
        Assert.Equal(subprotocol, client.SubProtocol);
        return client;
    }

    private static async Task SendTextAsync(ClientWebSocket client, string text) =>
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<ServerMessage> ReceiveJsonAsync(ClientWebSocket client)
    {
        var (type, payload) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        return s_parser.Parse<ServerMessage>(Encoding.UTF8.GetString(payload));
    }

    /// <summary>Skips quotes still in flight from before a change until a message of <paramref name="body"/>.</summary>
    private static async Task<ServerMessage> ReceiveJsonAsync(ClientWebSocket client, ServerMessage.BodyOneofCase body)
    {
        while (true)
        {
            var message = await ReceiveJsonAsync(client);
            if (message.BodyCase == body)
            {
                return message;
            }
        }
    }

    private static async Task<ServerMessage> ReceiveProtoAsync(ClientWebSocket client)
    {
        var (type, payload) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        return ServerMessage.Parser.ParseFrom(payload);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(ClientWebSocket client)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new Xunit.Sdk.XunitException($"closed by the server: {result.CloseStatus} {result.CloseStatusDescription}");
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }
}
