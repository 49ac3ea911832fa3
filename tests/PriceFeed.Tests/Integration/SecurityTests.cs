using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;
using PriceFeed.Server.Sources;
using PriceFeed.Tests.Codecs.WebSockets;
using PriceFeed.Tests.Security;
using WebSocketOpcode = PriceFeed.Server.Codecs.WebSockets.WebSocketOpcode;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Tokens, entitlements, origins and abuse limits, through a real server and real clients.</summary>
public sealed class SecurityTests
{
    private static Task<TestServer> StartWithTokensAsync(
        Func<FeedServerOptions, FeedServerOptions>? configure = null, QuoteSourceFactory? source = null) =>
        TestServer.StartAsync(options => (configure ?? (o => o))(options with { Tokens = TestTokens.Validator() }), source);

    private static Uri WithToken(Uri ws, string token) => new($"{ws}?token={Uri.EscapeDataString(token)}");

    /// <summary>Tries the upgrade with <see cref="ClientWebSocket"/>; returns the HTTP status of a refusal, or 101.</summary>
    private static async Task<HttpStatusCode> TryConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var deadline = Eventually.Deadline();
        try
        {
            await socket.ConnectAsync(uri, deadline.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        return HttpStatusCode.SwitchingProtocols;
    }

    private static async Task<SubscribeResult> SubscribeAsync(FeedClient client, params string[] symbols)
    {
        await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { symbols } } });
        var answer = await client.ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
        return answer.SubscribeResult;
    }

    private static double Counter(Prometheus.Counter counter, string label) => counter.WithLabels(label).Value;

    [Fact]
    public async Task RefusesAnUpgradeWithoutATokenWith401AndABearerChallenge()
    {
        await using var server = await StartWithTokensAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync(RawConnection.UpgradeRequest(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
        var response = await connection.ReadResponseAsync();

        Assert.Equal(401, response.Status);
        Assert.StartsWith("Bearer", response.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Empty(await connection.ReadToEndAsync());
        Assert.Equal(1, Counter(server.Server.Metrics.AccessDenied, MetricLabels.MissingToken));
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "expired", TestTokens.Expired(TimeSpan.FromMinutes(10)) },
        { "alg none", TestTokens.AlgNone() },
        { "HS512", TestTokens.WithAlgorithm(Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha512) },
        { "other secret", TestTokens.Mint(secret: TestTokens.OtherSecret) },
        { "malformed", "abc.def" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task RefusesAnUpgradeWithABadTokenWith401(string kind, string token)
    {
        await using var server = await StartWithTokensAsync();

        var inHeader = await TryConnectAsync(server.WsUri, o => o.SetRequestHeader("Authorization", "Bearer " + token));
        var inQuery = await TryConnectAsync(WithToken(server.WsUri, token));

        Assert.True(inHeader == HttpStatusCode.Unauthorized, $"{kind} in the header: {inHeader}");
        Assert.True(inQuery == HttpStatusCode.Unauthorized, $"{kind} in the query: {inQuery}");
        Assert.Empty(server.Server.Subscriptions.Sessions);
    }

    [Fact]
    public async Task SaysInvalidTokenInTheChallengeWhenATokenWasRefused()
    {
        await using var server = await StartWithTokensAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        var request = RawConnection.UpgradeRequest(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)))
            .Replace("\r\n\r\n", $"\r\nAuthorization: Bearer {TestTokens.Expired(TimeSpan.FromHours(1))}\r\n\r\n", StringComparison.Ordinal);
        await connection.SendAsync(request);
        var response = await connection.ReadResponseAsync();

        Assert.Equal(401, response.Status);
        Assert.Contains("error=\"invalid_token\"", response.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal(1, Counter(server.Server.Metrics.AccessDenied, MetricLabels.ExpiredToken));
    }

    [Fact]
    public async Task UpgradesWithATokenInTheQuery()
    {
        await using var server = await StartWithTokensAsync();

        var (client, hello) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint()));
        await using var _ = client;

        Assert.Equal("integration-test", hello.ServerId);
        await client.PingAsync(42);
    }

    [Fact]
    public async Task UpgradesWithATokenInTheAuthorizationHeader()
    {
        await using var server = await StartWithTokensAsync();
        var token = TestTokens.Mint();

        await using var client = await FeedClient.ConnectAsync(server.WsUri, configure: o => o.SetRequestHeader("Authorization", "bearer " + token));

        Assert.Equal(ServerMessage.BodyOneofCase.Hello, (await client.ReceiveAsync()).BodyCase);
        await client.PingAsync(7);
    }

    [Fact]
    public async Task ReadsFramesSentWithTheHandshakeOnlyAfterTheTokenIsChecked()
    {
        await using var server = await StartWithTokensAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);
        var ping = Google.Protobuf.MessageExtensions.ToByteArray(new ClientMessage { Ping = new Ping { ClientTimeNs = 99 } });
        var request = RawConnection.UpgradeRequest(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)))
            .Replace("GET /ws ", $"GET /ws?token={TestTokens.Mint()} ", StringComparison.Ordinal);

        // One write: the first frame arrives with the request, while the token check is still pending.
        await connection.SendAsync([.. Encoding.ASCII.GetBytes(request), .. ClientFrames.Frame(WebSocketOpcode.Binary, ping)]);

        Assert.Equal(101, (await connection.ReadResponseAsync(headOnly: true)).Status);
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, ServerMessage.Parser.ParseFrom((await connection.ReadFrameAsync()).Payload).BodyCase);
        var pong = ServerMessage.Parser.ParseFrom((await connection.ReadFrameAsync()).Payload);
        Assert.Equal(99, pong.Pong.ClientTimeNs);
    }

    [Fact]
    public async Task UpgradesWhenTheFirstFrameArrivesWithTheHandshakeAndHoldsALineEnd()
    {
        // Regression: the HTTP decoder read such a frame as a malformed request line and answered 400 before the 101.
        await using var server = await TestServer.StartAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);
        byte[] lineEnd = [(byte)('\r' ^ ClientFrames.MaskKey[0]), (byte)('\n' ^ ClientFrames.MaskKey[1])];
        var unsolicitedPong = ClientFrames.Frame(WebSocketOpcode.Pong, lineEnd);
        Assert.Equal("\r\n"u8.ToArray(), unsolicitedPong[^2..]);
        var ping = ClientFrames.Frame(WebSocketOpcode.Binary, Google.Protobuf.MessageExtensions.ToByteArray(new ClientMessage { Ping = new Ping { ClientTimeNs = 5 } }));
        var request = Encoding.ASCII.GetBytes(RawConnection.UpgradeRequest(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

        await connection.SendAsync([.. request, .. unsolicitedPong, .. ping]);

        Assert.Equal(101, (await connection.ReadResponseAsync(headOnly: true)).Status);
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, ServerMessage.Parser.ParseFrom((await connection.ReadFrameAsync()).Payload).BodyCase);
        Assert.Equal(5, ServerMessage.Parser.ParseFrom((await connection.ReadFrameAsync()).Payload).Pong.ClientTimeNs);
    }

    [Fact]
    public async Task RejectsSymbolsOutsideTheEntitlementAsNotEntitled()
    {
        await using var server = await StartWithTokensAsync(source: ScriptedQuoteSource.Factory(_ => { }, "AAPL", "MSFT", "IBM"));
        var token = TestTokens.Mint(symbols: ["AAPL", "MS*"]);
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, token));
        await using var _c = client;

        var result = await SubscribeAsync(client, "AAPL", "MSFT", "IBM", "MSNOPE", "NOPE");

        Assert.Equal(["AAPL", "MSFT"], result.Accepted);
        Assert.Equal(
            [("IBM", SubscriptionService.NotEntitled), ("MSNOPE", SubscriptionService.UnknownSymbol), ("NOPE", SubscriptionService.NotEntitled)],
            result.Rejected.Select(r => (r.Symbol, r.Reason)));
    }

    [Fact]
    public async Task ExpandsTheWildcardOnlyToEntitledSymbolsIncludingOnesThatAppearLater()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await StartWithTokensAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAPL", "MSFT", "IBM"));
        foreach (var symbol in new[] { "AAPL", "MSFT", "IBM" })
        {
            source.Publish(symbol);
        }

        await Eventually.UntilAsync(() => server.Server.QuotesProcessed == 3, "the cache holds the three quotes");
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint(symbols: ["AAPL", "MS*"])));
        await using var _c = client;

        Assert.Equal(["*"], (await SubscribeAsync(client, "*")).Accepted);
        var snapshot = await client.ReceiveAsync();
        Assert.Equal(["AAPL", "MSFT"], snapshot.Snapshot.Quotes.Select(q => q.Symbol).Order());

        // Later symbols: one outside the entitlement first, so it would be queued first were it subscribed.
        source.Publish("IBMX");
        source.Publish("IBM");
        source.Publish("MSAB");
        var seen = new List<string>();
        while (!seen.Contains("MSAB"))
        {
            var message = await client.ReceiveAsync();
            seen.AddRange(message.Quotes?.Quotes.Select(q => q.Symbol) ?? []);
        }

        Assert.Equal(["MSAB"], seen);
        var session = Assert.Single(server.Server.Subscriptions.Sessions);
        lock (session.SubscriptionLock)
        {
            Assert.Equal(["AAPL", "MSAB", "MSFT"], session.Subscriptions.Keys.Select(server.Server.Symbols.GetName).Order());
        }
    }

    [Fact]
    public async Task ClosesWith1008WhenTheTokenExpiresDuringTheConnection()
    {
        await using var server = await StartWithTokensAsync();
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(server.WsUri, TestTokens.Mint(ttl: TimeSpan.FromSeconds(2))));
        await using var _c = client;

        var (status, _) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("token expired", client.Socket.CloseStatusDescription);
        Assert.Equal(1, Counter(server.Server.Metrics.AccessDenied, MetricLabels.TokenExpiredInSession));
    }

    [Fact]
    public async Task RefusesAForeignBrowserOriginWith403AndLetsListedAndOriginlessClientsIn()
    {
        Assert.True(OriginPolicy.TryParse("https://dash.example.com", out var origins, out _));
        await using var server = await TestServer.StartAsync(options => options with { AllowedOrigins = origins });

        var foreign = await TryConnectAsync(server.WsUri, o => o.SetRequestHeader("Origin", "https://evil.example.com"));
        var listed = await TryConnectAsync(server.WsUri, o => o.SetRequestHeader("Origin", "https://dash.example.com"));
        var none = await TryConnectAsync(server.WsUri);

        Assert.Equal(HttpStatusCode.Forbidden, foreign);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, listed);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, none);
        Assert.Equal(1, Counter(server.Server.Metrics.AccessDenied, MetricLabels.ForbiddenOrigin));
    }

    [Fact]
    public async Task RefusesConnectionsPastThePerAddressLimitWith503Or1013()
    {
        await using var server = await TestServer.StartWithLimitsAsync(limits => limits with { MaxConnectionsPerIp = 2 });
        var (first, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _1 = first;
        var (second, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _2 = second;

        await using (var third = await FeedClient.ConnectAsync(server.WsUri))
        {
            var (status, before) = await third.ReceiveCloseAsync();
            // 1013 "try again later" has no member in System.Net's enum.
            Assert.Equal((WebSocketCloseStatus)1013, status);
            Assert.Empty(before);
        }

        using (var plain = await RawConnection.ConnectAsync(server.Port))
        {
            await plain.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            Assert.Equal(503, (await plain.ReadResponseAsync()).Status);
        }

        Assert.Equal(2, Counter(server.Server.Metrics.LimitsExceeded, MetricLabels.ConnectionsPerIp));
        await first.PingAsync(1);
        await second.PingAsync(2);

        // The refused connections left the count for the address, so a leaving client makes room for a new one.
        await Eventually.UntilAsync(() => server.Server.Connections.OpenFrom(IPAddress.Loopback) == 2, "the refused connections are gone");
        await second.DisposeAsync();
        await Eventually.UntilAsync(() => server.Server.Connections.OpenFrom(IPAddress.Loopback) == 1, "the second client is gone");
        var (replacement, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _3 = replacement;
        await replacement.PingAsync(3);
    }

    [Fact]
    public async Task ClosesWith1008AClientThatSendsMessagesTooFast()
    {
        await using var server = await TestServer.StartWithLimitsAsync(limits => limits with { ControlMessagesPerSecond = 5, ControlBurst = 5 });
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(new ClientMessage { Ping = new Ping { ClientTimeNs = i } });
        }

        var (status, before) = await client.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.InRange(before.Count, 5, 6);
        Assert.Equal(1, Counter(server.Server.Metrics.LimitsExceeded, MetricLabels.ControlMessages));
    }

    [Fact]
    public async Task ClosesTheClientFurthestBehindWhenQueuedBytesPassTheCap()
    {
        await using var server = await TestServer.StartAsync(options => options with
        {
            Rate = 5_000,
            SlowConsumerGraceMs = 600_000,
            Limits = options.Limits with { MaxQueuedBytes = 64 * 1024 },
        });
        var (reader, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _r = reader;
        var (stalled, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, receiveBufferBytes: 4096);
        await using var _s = stalled;

        // The stalled client subscribes to everything and never reads again; the reader subscribes to nothing.
        await stalled.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });

        await Eventually.UntilAsync(
            () => Counter(server.Server.Metrics.LimitsExceeded, MetricLabels.QueuedBytes) >= 1, "the server closes the client over the cap");
        await Eventually.UntilAsync(() => server.Server.Subscriptions.Sessions.Count == 1, "only the reader's session is left");
        await reader.PingAsync(5);
    }

    [Fact]
    public async Task LogsRefusalsAndSessionsWithoutTheirTokens()
    {
        var capture = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        await using var server = new FeedServer(TestServer.DefaultOptions with { Tokens = TestTokens.Validator() }, loggerFactory);
        await server.StartAsync();
        var ws = new Uri($"ws://127.0.0.1:{server.Port}/ws");
        var good = TestTokens.Mint("alice", ["AAPL"]);
        var expired = TestTokens.Expired(TimeSpan.FromHours(1));
        var forged = TestTokens.Mint(secret: TestTokens.OtherSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, await TryConnectAsync(WithToken(ws, expired)));
        Assert.Equal(HttpStatusCode.Unauthorized, await TryConnectAsync(ws, o => o.SetRequestHeader("Authorization", "Bearer " + forged)));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(WithToken(ws, good));
        await client.DisposeAsync();
        await Eventually.UntilAsync(() => capture.Lines.Any(line => line.Contains("alice", StringComparison.Ordinal)), "the session is logged");

        var log = string.Join("\n", capture.Lines);
        Assert.Contains(MetricLabels.ExpiredToken, log, StringComparison.Ordinal);
        Assert.Contains(MetricLabels.InvalidToken, log, StringComparison.Ordinal);
        foreach (var token in new[] { good, expired, forged })
        {
            // Not the token, nor its signature (the part that makes a forgery impossible).
            Assert.DoesNotContain(token, log, StringComparison.Ordinal);
            Assert.DoesNotContain(token[(token.LastIndexOf('.') + 1)..], log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MetricsExposeRefusalsAndLimits()
    {
        await using var server = await StartWithTokensAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await TryConnectAsync(server.WsUri));

        var metrics = await server.HttpClient.GetStringAsync("/metrics");

        Assert.Contains("pricefeed_access_denied_total{reason=\"missing_token\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("pricefeed_queued_bytes ", metrics, StringComparison.Ordinal);
    }
}
