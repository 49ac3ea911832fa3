using System.Net.WebSockets;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>A token's end on an open connection and its refresh by <c>auth</c> (docs/protocol.md, "Token refresh"),
/// through a real server and real WebSocket clients.</summary>
public sealed class TokenRefreshTests
{
    private static readonly TimeSpan s_skew = TimeSpan.FromSeconds(30);

    private static Task<TestServer> StartAsync(QuoteSourceFactory? source = null) =>
        TestServer.StartAsync(options => options with { Tokens = TestTokens.Validator(s_skew) }, source);

    private static Uri WithToken(Uri ws, string token) => new($"{ws}?token={Uri.EscapeDataString(token)}");

    private static ClientMessage Auth(string token) => new() { Auth = new Auth { Token = token } };

    private static DateTimeOffset ExpOf(long expiresAtNs) => DateTimeOffset.UnixEpoch.AddTicks(expiresAtNs / 100);

    private static double Denied(TestServer server, string reason) => server.Server.Metrics.AccessDenied.WithLabels(reason).Value;

    /// <summary>Reads past quotes and snapshots to the next message of another kind.</summary>
    private static async Task<ServerMessage> NextControlAsync(FeedClient client)
    {
        while (true)
        {
            var message = await client.ReceiveAsync();
            if (message.BodyCase is not (ServerMessage.BodyOneofCase.Quotes or ServerMessage.BodyOneofCase.Snapshot))
            {
                return message;
            }
        }
    }

    [Fact]
    public async Task ClosesWith1008AtTheTokensExpNotAfterTheClockSkew()
    {
        await using var server = await StartAsync();
        var token = TestTokens.Mint(ttl: TimeSpan.FromSeconds(2));
        var exp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2);
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, token));
        await using var _c = client;

        var (status, _) = await client.ReceiveCloseAsync();
        var closedAt = DateTimeOffset.UtcNow;

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("token expired", client.Socket.CloseStatusDescription);
        // exp is whole seconds; the 30 s skew would have kept it open until exp + 30 s.
        Assert.InRange(closedAt, exp.AddSeconds(-1.5), exp.AddSeconds(3));
        Assert.Equal(1, Denied(server, MetricLabels.TokenExpiredInSession));
    }

    [Theory]
    [InlineData(FeedSubprotocols.ProtoV1)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task AuthWithAFreshTokenOfTheSameUserExtendsTheConnectionPastTheFirstExp(string subprotocol)
    {
        await using var server = await StartAsync();
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(
            WithToken(server.WsUri, TestTokens.Mint("alice", ttl: TimeSpan.FromSeconds(2))), subprotocol);
        await using var _c = client;
        var firstExp = DateTimeOffset.UtcNow.AddSeconds(2);

        await client.SendAsync(Auth(TestTokens.Mint("alice", ttl: TimeSpan.FromMinutes(10))));
        var answer = await client.ReceiveAsync();

        Assert.Equal(ServerMessage.BodyOneofCase.AuthResult, answer.BodyCase);
        Assert.InRange(ExpOf(answer.AuthResult.ExpiresAtNs), DateTimeOffset.UtcNow.AddMinutes(10).AddSeconds(-3), DateTimeOffset.UtcNow.AddMinutes(10).AddSeconds(1));
        await Task.Delay(firstExp - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5));
        await client.PingAsync(1);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.Equal(0, Denied(server, MetricLabels.TokenExpiredInSession));
    }

    [Fact]
    public async Task NarrowerEntitlementsDropSymbolsReportThemNotEntitledAndStopTheirQuotes()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await StartAsync(ScriptedQuoteSource.Factory(s => source = s, "AAPL", "MSFT", "IBM"));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint("alice")));
        await using var _c = client;
        await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 7, Symbols = { "*", "MSFT" } } });
        Assert.Equal(["*", "MSFT"], (await NextControlAsync(client)).SubscribeResult.Accepted);

        await client.SendAsync(Auth(TestTokens.Mint("alice", ["AAPL", "NEW*"])));

        Assert.Equal(ServerMessage.BodyOneofCase.AuthResult, (await NextControlAsync(client)).BodyCase);
        var dropped = (await NextControlAsync(client)).SubscribeResult;
        Assert.Equal(0ul, dropped.RequestId);
        Assert.Empty(dropped.Accepted);
        Assert.Equal([("IBM", SubscriptionService.NotEntitled), ("MSFT", SubscriptionService.NotEntitled)], dropped.Rejected.Select(r => (r.Symbol, r.Reason)));

        // Quotes of the dropped symbols stop; * goes on with entitled symbols, old and new.
        foreach (var symbol in new[] { "IBM", "MSFT", "AAPL", "OTHER", "NEWCO" })
        {
            source.Publish(symbol);
        }

        var seen = new List<string>();
        while (!seen.Contains("NEWCO"))
        {
            seen.AddRange((await client.ReceiveAsync()).Quotes?.Quotes.Select(q => q.Symbol) ?? []);
        }

        Assert.Equal(["AAPL", "NEWCO"], seen);
        var session = Assert.Single(server.Server.Subscriptions.Sessions);
        lock (session.SubscriptionLock)
        {
            Assert.True(session.Wildcard);
            Assert.Equal(["AAPL", "NEWCO"], session.Subscriptions.Keys.Select(server.Server.Symbols.GetName).Order());
            Assert.Equal(0, session.NamedSubscriptions);
        }

        // A subscribe after the refresh follows the new entitlements too.
        await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 8, Symbols = { "MSFT" } } });
        Assert.Equal(SubscriptionService.NotEntitled, Assert.Single((await NextControlAsync(client)).SubscribeResult.Rejected).Reason);
    }

    public static TheoryData<string, string, string> BadRefreshes => new()
    {
        { "garbage", "not.a.token", MetricLabels.InvalidToken },
        { "another sub", TestTokens.Mint("mallory", ttl: TimeSpan.FromMinutes(10)), MetricLabels.OtherSubject },
        { "expired within the skew", TestTokens.Expired(TimeSpan.FromSeconds(5)), MetricLabels.ExpiredToken },
        { "alg none", TestTokens.AlgNone("""{"sub":"alice","exp":4102444800}"""), MetricLabels.InvalidToken },
    };

    [Theory]
    [MemberData(nameof(BadRefreshes))]
    public async Task ABadRefreshClosesWith1008AndLeavesOtherClientsAlone(string kind, string token, string reason)
    {
        await using var server = await StartAsync();
        var (bystander, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint("bob")));
        await using var _b = bystander;
        await bystander.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" }, SkipSnapshot = true } });
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await bystander.ReceiveAsync()).BodyCase);
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint("alice")));
        await using var _c = client;

        await client.SendAsync(Auth(token));
        var (status, before) = await client.ReceiveCloseAsync();

        Assert.True(status == WebSocketCloseStatus.PolicyViolation, $"{kind}: closed with {status}");
        Assert.Empty(before);
        Assert.Equal(1, Denied(server, reason));
        await Eventually.UntilAsync(() => server.Server.Subscriptions.Sessions.Count == 1, "only the bystander's session is left");
        var received = 0;
        while (received < 10)
        {
            received += (await bystander.ReceiveAsync()).Quotes?.Quotes.Count ?? 0;
        }
    }

    [Fact]
    public async Task AuthOnAServerWithoutTokensGetsAnErrorAndTheConnectionStaysOpen()
    {
        await using var server = await TestServer.StartAsync();
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;

        await client.SendAsync(Auth(TestTokens.Mint()));
        var answer = await client.ReceiveAsync();

        Assert.Equal(ServerMessage.BodyOneofCase.Error, answer.BodyCase);
        Assert.Equal(0u, answer.Error.Code);
        Assert.Equal("this server takes no tokens", answer.Error.Message);
        await client.PingAsync(2);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }
}
