using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>The HTTP side of the port, over real sockets: endpoints, methods, keep-alive and the limits.</summary>
public sealed class HttpEndpointTests
{
    [Fact]
    public async Task HealthzAnswersJsonWithStatusServing()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.HttpClient.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("serving", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("integration-test", json.RootElement.GetProperty("serverId").GetString());
    }

    [Fact]
    public async Task SymbolsAnswersJsonArrayOfTheConfiguredCount()
    {
        await using var server = await TestServer.StartAsync(o => o with { Symbols = 37 });

        // The simulator registers its symbols as it starts; poll rather than assume it is done.
        string[] symbols = [];
        await Eventually.UntilAsync(
            async () =>
            {
                var body = await server.HttpClient.GetStringAsync(new Uri("/api/symbols", UriKind.Relative));
                symbols = JsonSerializer.Deserialize<string[]>(body) ?? [];
                return symbols.Length == 37;
            },
            "/api/symbols lists 37 symbols");

        Assert.Equal(37, symbols.Distinct(StringComparer.Ordinal).Count());
        Assert.All(symbols, s => Assert.False(string.IsNullOrWhiteSpace(s)));
    }

    [Fact]
    public async Task MetricsAnswersPrometheusTextWithConnectionFrameAndByteCounters()
    {
        await using var server = await TestServer.StartAsync();
        await using (var client = await FeedClient.ConnectAsync(server.WsUri))
        {
            await client.ReceiveAsync();
        }

        using var response = await server.HttpClient.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE pricefeed_connections_open gauge", text, StringComparison.Ordinal);
        foreach (var counter in new[] { "pricefeed_frames_in_total", "pricefeed_frames_out_total", "pricefeed_bytes_in_total", "pricefeed_bytes_out_total" })
        {
            Assert.Contains($"# TYPE {counter} counter", text, StringComparison.Ordinal);
        }

        // The hello went out, so frames and bytes out are counted.
        Assert.True(MetricValue(text, "pricefeed_frames_out_total") >= 1, text);
        Assert.True(MetricValue(text, "pricefeed_bytes_out_total") > 0, text);
    }

    [Fact]
    public async Task RootAnswersTheDashboardPage()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.HttpClient.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownPathAnswers404()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.HttpClient.GetAsync(new Uri("/no/such/page", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task PostAnswers405WithAllow()
    {
        await using var server = await TestServer.StartAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Fact]
    public async Task HeadAnswersTheHeadersOfGetWithoutTheBody()
    {
        await using var server = await TestServer.StartAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var head = await connection.ReadResponseAsync(headOnly: true);

        Assert.Equal(200, head.Status);
        Assert.Equal("text/html", head.Header("Content-Type")?.Split(';')[0]);
        Assert.True(int.Parse(head.Header("Content-Length")!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        // No body followed: the very next bytes on the connection are the answer to the next request.
        await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var next = await connection.ReadResponseAsync();
        Assert.Equal(200, next.Status);
        Assert.Contains("serving", next.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAliveServesTwoRequestsOnOneConnection()
    {
        await using var server = await TestServer.StartAsync();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync("GET /api/symbols HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var second = await connection.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Equal("keep-alive", first.Header("Connection"));
        Assert.Equal(200, second.Status);
        Assert.StartsWith("[", second.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLineTooLongAnswers414AndCloses()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxRequestLineBytes = 1_024 });
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync($"GET /{new string('a', 2_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(414, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Empty(await connection.ReadToEndAsync());
    }

    [Fact]
    public async Task HeaderSectionTooLongAnswers431AndCloses()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxHeaderBytes = 1_024 });
        using var connection = await RawConnection.ConnectAsync(server.Port);

        var headers = new StringBuilder();
        for (var i = 0; i < 40; i++)
        {
            headers.Append("X-Filler-").Append(i).Append(": ").Append(new string('b', 60)).Append("\r\n");
        }

        await connection.SendAsync($"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(431, response.Status);
        Assert.Empty(await connection.ReadToEndAsync());
    }

    [Fact]
    public async Task HalfSentRequestIsClosedAfterTheHandshakeTimeout()
    {
        const int timeoutMs = 500;
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { HandshakeTimeoutMs = timeoutMs });
        // Started before connecting, so the server's timer (armed when it accepts) cannot start before this clock.
        var stopwatch = Stopwatch.StartNew();
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        var answered = await connection.ReadToEndAsync();

        Assert.Empty(answered);
        Assert.True(stopwatch.ElapsedMilliseconds >= timeoutMs - 20, $"closed after {stopwatch.ElapsedMilliseconds} ms, before the {timeoutMs} ms timeout");
    }

    [Fact]
    public async Task ConnectionOverTheLimitAnswers503ForHttp()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxConnections = 2 });
        using var first = await RawConnection.ConnectAsync(server.Port);
        using var second = await RawConnection.ConnectAsync(server.Port);
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 2, "the server holds two connections");
        using var third = await RawConnection.ConnectAsync(server.Port);

        await third.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var response = await third.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.NotNull(response.Header("Retry-After"));
        Assert.Empty(await third.ReadToEndAsync());

        // The two within the limit are served.
        await first.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal(200, (await first.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task UpgradeOverTheLimitGets101ThenClose1013()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { MaxConnections = 2 });
        using var first = await RawConnection.ConnectAsync(server.Port);
        using var second = await RawConnection.ConnectAsync(server.Port);
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 2, "the server holds two connections");

        await using var third = await FeedClient.ConnectAsync(server.WsUri);
        var (status, before) = await third.ReceiveCloseAsync();

        // docs/protocol.md, "Close codes": 1013 server full (not named in System.Net.WebSockets.WebSocketCloseStatus).
        Assert.Equal((WebSocketCloseStatus)1013, status);
        Assert.Empty(before);
    }

    /// <summary>The value of an unlabelled metric in Prometheus text, e.g. "pricefeed_bytes_out_total 1234".</summary>
    private static double MetricValue(string text, string name)
    {
        var line = text.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
