using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PriceFeed.Client;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Testing;
using static PriceFeed.Tests.Sources.Redis.BusTestKit;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// The operator's nginx front (<c>deploy/nginx/pricefeed.conf</c>, docs/scale-out.md, "An nginx front"), run as it is
/// by a real nginx in front of real server processes: WebSockets of both subprotocols and the HTTP endpoints pass
/// through, and a node that shuts down hands its clients to the other node, where they resume with no gap.
/// </summary>
/// <remarks>Over 300 lines because the clients' seq guard (<see cref="Subscriber"/>) serves only the move test here and
/// reads best next to it.</remarks>
public sealed partial class NginxFrontTests
{
    private const int Symbols = 20;
    private const int Clients = 20;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task ClientsOfANodeThatShutsDownMoveThroughNginxToTheOtherNodeResumeAndConverge()
    {
        using var redis = await RedisServer.StartAsync();
        var (portA, portB) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        using var nodeA = await ServerProcess.StartOnPortAsync(portA, NodeArguments(redis, "node-a"));
        using var nodeB = await ServerProcess.StartOnPortAsync(portB, NodeArguments(redis, "node-b"));
        // Runs until the test stops it (SIGTERM by PID), so that quotes flow through the whole move.
        using var publisher = StartPublisher(redis, Symbols, rate: 200, seconds: 600);
        await Eventually.UntilAsync(
            async () => await nodeA.QuotesProcessedAsync() > 0 && await nodeB.QuotesProcessedAsync() > 0,
            "both nodes serve the publisher's quotes",
            detail: () => publisher.Output);
        using var nginx = await NginxServer.StartAsync([portA, portB]);
        await using var clients = new Subscribers();

        for (var i = 0; i < Clients; i++)
        {
            var client = await clients.ConnectAsync(nginx.WsUri);
            await client.SubscribeAllAsync();
        }

        await Eventually.UntilAsync(() => clients.All(c => c.SymbolCount == Symbols), "every client has every symbol");
        // least_conn spreads them: both nodes have clients, and each node counts them.
        var onA = clients.Where(c => c.ServerId == "node-a").ToList();
        var onB = clients.Where(c => c.ServerId == "node-b").ToList();
        Assert.True(onA.Count > 0 && onB.Count > 0, $"{onA.Count} clients on node-a, {onB.Count} on node-b");
        Assert.True(await ConnectionsAsync(portA) >= onA.Count, "node-a's /healthz counts its clients");
        Assert.True(await ConnectionsAsync(portB) >= onB.Count, "node-b's /healthz counts its clients");

        // SIGTERM: node-a stops accepting, sends every client a go_away (spread over 1 s), then closes them with 1001.
        var quotesBefore = clients.ToDictionary(c => c, c => c.Quotes);
        nodeA.Terminate();
        await Eventually.UntilAsync(
            () => Task.FromResult(onA.All(c => c.GoAways == 1 && c.ServerId == "node-b" && !c.Resumes.IsEmpty)),
            () => $"every client of node-a is told to go, reconnects through nginx to node-b and resumes; {Describe(onA)}",
            TimeSpan.FromSeconds(60),
            detail: () => nginx.ErrorLog);
        Assert.True(await nodeA.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, nodeA.Output);
        foreach (var client in onA)
        {
            var resumed = Assert.Single(client.Resumes);
            Assert.False(resumed.EpochChanged);
            // Every symbol held goes on from its last seq: node-b holds the same epoch and history.
            Assert.Equal(Symbols, resumed.Recovered.Count);
            Assert.Empty(resumed.Snapshotted);
        }

        Assert.All(onB, c => Assert.True(c.GoAways == 0 && c.Resumes.IsEmpty && c.ServerId == "node-b"));
        await Eventually.UntilAsync(() => clients.All(c => c.Quotes > quotesBefore[c] + Symbols), "quotes flow to every client on node-b");

        // node-a back on its port: nginx tries it again after fail_timeout and, having the fewest connections, it gets new clients.
        using var nodeAAgain = await ServerProcess.StartOnPortAsync(portA, NodeArguments(redis, "node-a"));
        await Eventually.UntilAsync(
            async () => await clients.ConnectToAsync(nginx.WsUri, "node-a"),
            "a new client through nginx lands on the restarted node-a",
            TimeSpan.FromSeconds(60),
            detail: () => nginx.ErrorLog);
        var late = clients.Last();
        await late.SubscribeAllAsync();

        // The publisher's end: its last quote of every symbol is in the shared cache, and every client must reach it.
        publisher.Terminate();
        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);
        var final = await ReadSharedCacheAsync(redis);
        Assert.Equal(Symbols, final.Count);
        await Eventually.UntilAsync(
            () => Task.FromResult(clients.All(c => final.All(f => c.LastSeq(f.Key) == f.Value.Seq))),
            () => $"every client has every symbol's last seq; {Describe(clients.Where(c => final.Any(f => c.LastSeq(f.Key) != f.Value.Seq)))}");

        foreach (var client in clients)
        {
            Assert.True(client.Violations == 0 && client.Gaps == 0 && client.Client.GapsDetected == 0, client.Describe());
        }
    }

    [Fact]
    public async Task BothSubprotocolsTheHealthCheckMetricsAndDashboardPassThroughNginx()
    {
        using var nodeA = await ServerProcess.StartAsync("--server-id", "node-a");
        using var nodeB = await ServerProcess.StartAsync("--server-id", "node-b");
        using var nginx = await NginxServer.StartAsync([nodeA.Port, nodeB.Port]);

        foreach (var subprotocol in FeedSubprotocols.All)
        {
            var (client, hello) = await FeedClient.ConnectAndReadHelloAsync(nginx.WsUri, subprotocol);
            await using var _ = client;
            // Negotiated end to end: the node chose it, and nginx passed the offer and the answer unchanged.
            Assert.Equal(subprotocol, client.Socket.SubProtocol);
            Assert.Equal(subprotocol, hello.Protocol);
            Assert.Contains(hello.ServerId, new[] { "node-a", "node-b" });
            await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });
            var snapshot = await Eventually.WithinAsync(ReadUntilAsync(client, ServerMessage.BodyOneofCase.Snapshot), "a snapshot");
            Assert.NotEmpty(snapshot.Snapshot.Quotes);
        }

        using (var health = await s_http.GetAsync(new Uri(nginx.HttpUri, "healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("serving", json.RootElement.GetProperty("status").GetString());
            Assert.Contains(json.RootElement.GetProperty("serverId").GetString(), new[] { "node-a", "node-b" });
        }

        using (var metrics = await s_http.GetAsync(new Uri(nginx.HttpUri, "metrics")))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("pricefeed_", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var dashboard = await s_http.GetAsync(nginx.HttpUri))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Equal("text/html", dashboard.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public void TheConfigsWebSocketTimeoutsOutlastTheHeartbeatOnBothEnds()
    {
        var config = File.ReadAllText(NginxServer.DeployedConfig);
        var ws = WsLocation().Match(config);
        Assert.True(ws.Success, $"{NginxServer.DeployedConfig} has no 'location = /ws' block");
        var heartbeat = TimeSpan.FromMilliseconds(new FeedServerLimits().HeartbeatIntervalMs);
        // Longer than the silence after which the client gives up on a connection (the server's is shorter still):
        // the ends find a dead peer, nginx never cuts a live but quiet one.
        var longestSilence = heartbeat * PriceFeedClient.DeadAfterHeartbeats;
        foreach (var directive in new[] { "proxy_read_timeout", "proxy_send_timeout", "send_timeout" })
        {
            var value = Regex.Match(ws.Value, $@"^\s*{directive}\s+(?<value>[^;]+);", RegexOptions.Multiline);
            Assert.True(value.Success, $"the /ws location sets no {directive}");
            var timeout = NginxTime(value.Groups["value"].Value);
            Assert.True(timeout > longestSilence, $"{directive} {timeout.TotalSeconds} s is not above {longestSilence.TotalSeconds} s");
        }

        Assert.Matches(@"(?m)^\s*proxy_buffering\s+off;", config);
        Assert.Matches(@"(?m)^\s*proxy_http_version\s+1\.1;", config);
        Assert.Matches(@"(?m)^\s*proxy_set_header\s+Upgrade\s+\$http_upgrade;", config);
        Assert.Matches(@"(?m)^\s*proxy_next_upstream\s+error timeout http_503;", config);
    }

    private static string[] NodeArguments(RedisServer redis, string id) =>
    [
        "--host", "127.0.0.1", "--source", "redis", "--redis", redis.Endpoint, "--server-id", id,
        // Go-away spread short, to keep the test short; drop with a deep queue: every update reaches every client.
        "--drain-spread-ms", "1000", "--policy", "drop", "--queue-capacity", "262144",
        "--wait-strategy", "blocking", "--ring-size", "4096", "--max-symbols", "1024",
    ];

    private static async Task<long> ConnectionsAsync(int port)
    {
        using var health = JsonDocument.Parse(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/healthz")));
        return health.RootElement.GetProperty("connections").GetInt64();
    }

    private static async Task<ServerMessage> ReadUntilAsync(FeedClient client, ServerMessage.BodyOneofCase body)
    {
        while (true)
        {
            var message = await client.ReceiveAsync();
            if (message.BodyCase == body)
            {
                return message;
            }
        }
    }

    private static string Describe(IEnumerable<Subscriber> clients) => string.Join("; ", clients.Take(3).Select(c => c.Describe()));

    /// <summary>An nginx time ("120s", "2m", "500ms", "90": seconds).</summary>
    private static TimeSpan NginxTime(string value)
    {
        var match = Regex.Match(value.Trim(), "^(?<n>[0-9]+)(?<unit>ms|s|m|h)?$");
        Assert.True(match.Success, $"'{value}' is not a single nginx time");
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }

    [GeneratedRegex(@"location\s*=\s*/ws\s*\{[^}]*\}")]
    private static partial Regex WsLocation();

    /// <summary>The test's clients, disposed together whatever the test's outcome.</summary>
    private sealed class Subscribers : List<Subscriber>, IAsyncDisposable
    {
        public async Task<Subscriber> ConnectAsync(Uri uri)
        {
            var client = await Subscriber.ConnectAsync(uri);
            Add(client);
            return client;
        }

        /// <summary>Connects once; keeps the client if it reached <paramref name="serverId"/>, else closes it and waits a little.</summary>
        public async Task<bool> ConnectToAsync(Uri uri, string serverId)
        {
            var client = await Subscriber.ConnectAsync(uri);
            if (client.ServerId == serverId)
            {
                Add(client);
                return true;
            }

            await client.DisposeAsync();
            await Task.Delay(250);
            return false;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in this)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>A <see cref="PriceFeedClient"/> (it follows go-away and resumes) read on a task of its own, with a seq guard
    /// over what it yields: per symbol every seq after the first exactly one above the one before.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _lock = new();
        private readonly Dictionary<string, ulong> _last = new(StringComparer.Ordinal);
        private readonly List<string> _problems = [];
        private Task _reading = Task.CompletedTask;
        private int _goAways;
        private long _quotes;

        private Subscriber(PriceFeedClient client)
        {
            Client = client;
            client.GoingAway += (_, _) => Interlocked.Increment(ref _goAways);
            client.Resumed += (_, e) => Resumes.Enqueue(e);
        }

        public PriceFeedClient Client { get; }

        public ConcurrentQueue<ResumedEventArgs> Resumes { get; } = new();

        public int GoAways => Volatile.Read(ref _goAways);

        public long Quotes => Interlocked.Read(ref _quotes);

        public string ServerId => Client.Server?.ServerId ?? "";

        /// <summary>Quotes whose seq was not above the symbol's last one (a duplicate, or out of order).</summary>
        public int Violations { get; private set; }

        /// <summary>Quotes whose seq skipped one or more.</summary>
        public int Gaps { get; private set; }

        public int SymbolCount
        {
            get
            {
                lock (_lock)
                {
                    return _last.Count;
                }
            }
        }

        public static async Task<Subscriber> ConnectAsync(Uri uri) => new(await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = uri,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
        }));

        public async Task SubscribeAllAsync()
        {
            await Eventually.WithinAsync(Client.SubscribeAsync("*"), "the subscribe answer");
            _reading = Task.Run(ReadAsync);
        }

        public ulong LastSeq(string symbol)
        {
            lock (_lock)
            {
                return _last.GetValueOrDefault(symbol);
            }
        }

        public string Describe()
        {
            lock (_lock)
            {
                return $"client on '{ServerId}' ({Client.State}): {Quotes} quotes, {_last.Count} symbols, {GoAways} go-aways, "
                    + $"{Resumes.Count} resumes, {Violations} violations, {Gaps} gaps, {Client.GapsDetected} gaps by the client, "
                    + $"{Client.QuotesConflated} conflated; {string.Join(", ", _problems.Take(5))}";
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            await Client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var quote in Client.ReadQuotesAsync(_stop.Token))
                {
                    Record(quote.Symbol, quote.Seq);
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
        }

        private void Record(string symbol, ulong seq)
        {
            lock (_lock)
            {
                if (_last.TryGetValue(symbol, out var last))
                {
                    if (seq <= last)
                    {
                        Violations++;
                        _problems.Add($"{symbol} {seq} after {last}");
                        return;
                    }

                    if (seq > last + 1)
                    {
                        Gaps++;
                        _problems.Add($"{symbol} {last} -> {seq}");
                    }
                }

                _last[symbol] = seq;
                Interlocked.Increment(ref _quotes);
            }
        }
    }
}
