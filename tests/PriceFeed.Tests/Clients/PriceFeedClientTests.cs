using System.Collections.Concurrent;
using System.Globalization;
using PriceFeed.Client;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Clients;

/// <summary>The C# client against real server processes: ordering, restart on the same port, a server that stops answering.</summary>
public sealed class PriceFeedClientTests
{
    // 500 ms heartbeats: a dead connection is found in about 1.5 s instead of 45 s.
    private const string HeartbeatMs = "500";

    [Theory]
    [InlineData(PriceFeedSubprotocol.Proto)]
    [InlineData(PriceFeedSubprotocol.Json)]
    public async Task ReceivesOrderedQuotesOfTheSubscribedSymbols(PriceFeedSubprotocol subprotocol)
    {
        using var server = await ServerProcess.StartOnPortAsync(ServerProcess.FreePort(),
            "--symbols", "20", "--rate", "2000", "--seed", "11", "--heartbeat-ms", HeartbeatMs);
        var symbols = (await server.SymbolsAsync()).Take(5).ToArray();

        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri, Subprotocol = subprotocol });
        var result = await client.SubscribeAsync([.. symbols, "NO.SUCH"]);
        await using var recorder = new QuoteRecorder(client);
        await Eventually.UntilAsync(() => recorder.Count >= 300, "300 quotes arrived", detail: () => server.Output);

        Assert.Equal(symbols, result.Accepted);
        Assert.Equal([new SymbolRejection("NO.SUCH", "unknown_symbol")], result.Rejected);
        Assert.Equal(subprotocol == PriceFeedSubprotocol.Json ? "pricefeed.v1.json" : "pricefeed.v1.proto", client.Server!.Protocol);
        Assert.Empty(recorder.Violations);
        Assert.Subset(symbols.ToHashSet(), recorder.Last.Keys.ToHashSet());
    }

    [Fact]
    public async Task ResumesAfterTheServerRestartsOnTheSamePortAndConverges()
    {
        // The same seed gives the same symbols, and the restarted simulator starts again from seq 1 under a new epoch:
        // the client starts its seq guard again (nothing held back as stale) and converges on the restarted server's
        // quotes; the source stops (--duration) so the state can settle. Order is checked within each epoch.
        const double restartedDuration = 3;
        var port = ServerProcess.FreePort();
        var first = await ServerProcess.StartOnPortAsync(port, "--symbols", "10", "--rate", "500", "--seed", "5", "--heartbeat-ms", HeartbeatMs);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = first.WsUri,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        });
        await client.SubscribeAsync("*");
        await using var recorder = new QuoteRecorder(client);
        ServerProcess? second = null;
        try
        {
            await Eventually.UntilAsync(() => recorder.Count >= 200, "200 quotes from the first server", detail: () => first.Output);
            first.Stop();
            await Eventually.UntilAsync(() => recorder.Saw(ConnectionState.Reconnecting), "the client notices the server is gone", detail: () => first.Output);
            var countBeforeRestart = recorder.Count;
            var seqBeforeRestart = recorder.Last.ToDictionary(p => p.Key, p => p.Value.Seq);

            second = await ServerProcess.StartOnPortAsync(port,
                "--symbols", "10", "--rate", "5000", "--seed", "5", "--duration", "3", "--heartbeat-ms", HeartbeatMs);
            await Eventually.UntilAsync(() => client.State == ConnectionState.Connected && recorder.Count > countBeforeRestart,
                "quotes from the restarted server", detail: () => second.Output);
            await second.WaitUntilQuietAsync(restartedDuration);

            var snapshot = await TakeSnapshotAsync(second);
            await Eventually.UntilAsync(
                () => Task.FromResult(snapshot.All(s => recorder.Last.TryGetValue(s.Key, out var q) && q.Seq == s.Value.Seq)),
                () => $"the client holds the server's latest seq of every symbol; symbol: server, client (before the restart): "
                    + string.Join(", ", snapshot.Values.Select(q => $"{q.Symbol}: {q.Seq}, {(recorder.Last.TryGetValue(q.Symbol, out var c) ? c.Seq : 0)} "
                        + $"({(seqBeforeRestart.TryGetValue(q.Symbol, out var b) ? b : 0)})"))
                    + $"; state {client.State}, stale {client.QuotesIgnoredAsStale}",
                detail: () => second.Output);
            foreach (var (symbol, latest) in snapshot)
            {
                Assert.Equal(latest, recorder.Last[symbol]);
            }

            Assert.Empty(recorder.Violations);
            Assert.Equal(1, recorder.EpochChanges);
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    [Theory]
    [InlineData("conflate")]
    [InlineData("drop")]
    public async Task ReconnectsAfterANetworkCutWhileQuotesFlowWithNoDuplicateAndReportsEveryHeldSymbol(string policy)
    {
        await using var cut = await NetworkCut.StartAsync(policy, rate: 1000, seed: 13);
        var (server, client, recorder, resumed, symbols) = (cut.Server, cut.Client, cut.Recorder, cut.Resumed, cut.Symbols);
        await Eventually.UntilAsync(() => recorder.Count >= 300 && recorder.Last.Count == symbols.Length, "300 quotes of every symbol", detail: () => server.Output);

        // Cut off for a second of quotes while the server goes on producing them.
        await cut.CutForAsync(quotes: 1000);
        var countBeforeRestore = recorder.Count;
        cut.Restore();

        await Eventually.UntilAsync(() => client.State == ConnectionState.Connected && !resumed.IsEmpty && recorder.Count > countBeforeRestore + 300,
            "quotes on the new connection and the Resumed event", detail: () => server.Output);
        Assert.Empty(recorder.Violations);
        var resume = Assert.Single(resumed);
        Assert.False(resume.EpochChanged);
        Assert.Equal(symbols.Order(), resume.Recovered.Concat(resume.Snapshotted).Order());
    }

    [Theory]
    [InlineData("conflate")]
    [InlineData("drop")]
    public async Task ResumesAfterANetworkCutWhileQuotesFlowWithNoGapAndNoDuplicate(string policy)
    {
        // 20 updates per symbol per second, the default rate's: a second away is far inside the default resume depth.
        await using var cut = await NetworkCut.StartAsync(policy, rate: 200, seed: 17);
        var (server, client, recorder, resumed, symbols) = (cut.Server, cut.Client, cut.Recorder, cut.Resumed, cut.Symbols);
        await Eventually.UntilAsync(() => recorder.Count >= 100 && recorder.Last.Count == symbols.Length, "100 quotes of every symbol", detail: () => server.Output);
        Assert.NotEqual("", client.Server!.Epoch);
        Assert.True(client.Server.ResumeDepth > 0, "the server keeps history");

        await cut.CutForAsync(quotes: 200);
        var seqAtCut = recorder.Last.ToDictionary(p => p.Key, p => p.Value.Seq);
        cut.Restore();

        await Eventually.UntilAsync(
            () => client.State == ConnectionState.Connected && !resumed.IsEmpty
                && symbols.All(s => recorder.Last.TryGetValue(s, out var q) && q.Seq > seqAtCut[s] + 20),
            "every symbol well past the cut", detail: () => server.Output);
        // One resume for the cut; a loaded machine may stall a heartbeat into one more reconnect, which must resume too.
        Assert.NotEmpty(resumed);
        Assert.All(resumed, resume =>
        {
            Assert.Equal(symbols.Order(), resume.Recovered.Order());
            Assert.Empty(resume.Snapshotted);
        });
        // Each symbol's sequence went on from the snapshot with every seq, once: no gap (none reported) and no duplicate.
        Assert.Empty(recorder.Violations);
        Assert.Equal(0, recorder.Gaps);
        Assert.Equal(0, client.GapsDetected);
    }

    [Fact]
    public async Task StartsTheSeqGuardAgainWhenARestartedServerNamesANewEpoch()
    {
        // A restarted simulator is a new epoch whose seqs start again at 1, far below what the client holds.
        var port = ServerProcess.FreePort();
        var first = await ServerProcess.StartOnPortAsync(port, "--symbols", "10", "--rate", "2000", "--seed", "5", "--heartbeat-ms", HeartbeatMs);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = first.WsUri,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        });
        var resumed = new ConcurrentQueue<ResumedEventArgs>();
        client.Resumed += (_, e) => resumed.Enqueue(e);
        await client.SubscribeAsync("*");
        await using var recorder = new QuoteRecorder(client);
        ServerProcess? second = null;
        try
        {
            await Eventually.UntilAsync(() => recorder.Count >= 2000, "2000 quotes from the first server", detail: () => first.Output);
            var firstEpoch = client.Server!.Epoch;
            first.Stop();
            second = await ServerProcess.StartOnPortAsync(port, "--symbols", "10", "--rate", "50", "--seed", "5", "--heartbeat-ms", HeartbeatMs);
            await Eventually.UntilAsync(() => !resumed.IsEmpty, "the Resumed event", detail: () => second.Output);
            var resume = Assert.Single(resumed);
            Assert.True(resume.EpochChanged);
            Assert.NotEqual(firstEpoch, resume.Epoch);
            Assert.Empty(resume.Recovered);
            // The new epoch's quotes (seq in the tens) arrive at once instead of being held back behind seqs in the hundreds.
            var countAfterRestart = recorder.Count;
            await Eventually.UntilAsync(() => recorder.Count > countAfterRestart + 20, "quotes of the new epoch", detail: () => second.Output);
            Assert.Equal(0, client.QuotesIgnoredAsStale);
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    [Fact]
    public async Task ConflatesBySymbolWhenTheReaderFallsBehindAndStillDeliversEveryLatestQuote()
    {
        const int capacity = 8;
        const double duration = 2;
        using var server = await ServerProcess.StartOnPortAsync(ServerProcess.FreePort(),
            "--symbols", "5", "--rate", "2000", "--seed", "9", "--duration", "2", "--heartbeat-ms", HeartbeatMs);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri, BufferCapacity = capacity });
        await client.SubscribeAsync("*");

        // Nobody reads while the source runs: the buffer fills, then conflates.
        await server.WaitUntilQuietAsync(duration);
        var snapshot = await TakeSnapshotAsync(server);
        await Eventually.UntilAsync(() => client.QuotesConflated > 0, "the buffer conflated", detail: () => server.Output);
        Assert.InRange(client.BufferedQuotes, 1, capacity + snapshot.Count);

        var last = new Dictionary<string, Quote>(StringComparer.Ordinal);
        var gaps = 0;
        client.GapDetected += (_, _) => gaps++;
        await foreach (var quote in client.ReadQuotesAsync())
        {
            Assert.True(!last.TryGetValue(quote.Symbol, out var previous) || quote.Seq > previous.Seq, $"{quote.Symbol} seq {quote.Seq} went backwards");
            last[quote.Symbol] = quote;
            // The source is quiet: once the buffer is empty, nothing more will come.
            if (client.BufferedQuotes == 0)
            {
                break;
            }
        }

        Assert.Equal(snapshot, last);
        Assert.True(gaps > 0, "the conflated updates show as gaps");
    }

    [Fact]
    public async Task ReplacesAConnectionOnWhichTheServerStoppedAnswering()
    {
        using var server = await ServerProcess.StartOnPortAsync(ServerProcess.FreePort(),
            "--symbols", "10", "--rate", "500", "--seed", "3", "--heartbeat-ms", HeartbeatMs);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = server.WsUri,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            // A frozen server accepts TCP connections (the kernel does) but never answers the upgrade.
            ConnectTimeout = TimeSpan.FromSeconds(2),
        });
        await client.SubscribeAsync("*");
        await using var recorder = new QuoteRecorder(client);
        await Eventually.UntilAsync(() => recorder.Count >= 100, "100 quotes", detail: () => server.Output);

        server.Freeze();
        try
        {
            await Eventually.UntilAsync(
                () => recorder.States.Any(s => s.State == ConnectionState.Reconnecting && s.Cause?.Message.Contains("presumed dead", StringComparison.Ordinal) == true),
                "the client declares the silent connection dead", detail: () => server.Output);
        }
        finally
        {
            server.Thaw();
        }

        var countAfterThaw = recorder.Count;
        await Eventually.UntilAsync(() => client.State == ConnectionState.Connected && recorder.Count > countAfterThaw + 100,
            "quotes on a new connection", detail: () => server.Output);
        Assert.Empty(recorder.Violations);
    }

    [Fact]
    public async Task FailsAtOnceWhenNoServerListens()
    {
        var options = new PriceFeedClientOptions { Url = new Uri($"ws://127.0.0.1:{ServerProcess.FreePort()}/ws") };

        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() => PriceFeedClient.ConnectAsync(options));
    }

    [Fact]
    public async Task RejectsOptionsThatCannotWorkNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = new Uri("http://127.0.0.1:8080/ws") }));

        Assert.Equal("Url", error.ParamName);
    }

    /// <summary>A fresh client's first quote of each symbol: the server's snapshot (the source is quiet, so nothing live follows).</summary>
    private static async Task<Dictionary<string, Quote>> TakeSnapshotAsync(ServerProcess server)
    {
        var symbols = await server.SymbolsAsync();
        await using var fresh = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri });
        await fresh.SubscribeAsync("*");
        var snapshot = new Dictionary<string, Quote>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);
        await foreach (var quote in fresh.ReadQuotesAsync(timeout.Token))
        {
            snapshot.TryAdd(quote.Symbol, quote);
            if (snapshot.Count == symbols.Length)
            {
                break;
            }
        }

        return snapshot;
    }

    /// <summary>A real server with 10 symbols, a client subscribed to <c>*</c> through a <see cref="TcpRelay"/> that can cut the
    /// connection while the server goes on producing, its recorder and the <see cref="PriceFeedClient.Resumed"/> events.</summary>
    private sealed class NetworkCut : IAsyncDisposable
    {
        private readonly TcpRelay _relay;

        private NetworkCut(ServerProcess server, string[] symbols, TcpRelay relay, PriceFeedClient client)
        {
            Server = server;
            Symbols = symbols;
            _relay = relay;
            Client = client;
            client.Resumed += (_, e) => Resumed.Enqueue(e);
            Recorder = new QuoteRecorder(client);
        }

        public ServerProcess Server { get; }

        public string[] Symbols { get; }

        public PriceFeedClient Client { get; }

        public QuoteRecorder Recorder { get; }

        public ConcurrentQueue<ResumedEventArgs> Resumed { get; } = new();

        public static async Task<NetworkCut> StartAsync(string policy, int rate, int seed)
        {
            var server = await ServerProcess.StartOnPortAsync(ServerProcess.FreePort(),
                "--symbols", "10", "--rate", rate.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture),
                "--policy", policy, "--heartbeat-ms", HeartbeatMs);
            TcpRelay? relay = null;
            try
            {
                var symbols = await server.SymbolsAsync();
                relay = new TcpRelay(server.Port);
                var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
                {
                    Url = relay.WsUri,
                    ReconnectDelay = TimeSpan.FromMilliseconds(100),
                    MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
                });
                var cut = new NetworkCut(server, symbols, relay, client);
                await client.SubscribeAsync("*");
                return cut;
            }
            catch
            {
                if (relay is not null)
                {
                    await relay.DisposeAsync();
                }

                server.Dispose();
                throw;
            }
        }

        /// <summary>Cuts the connection and waits until the client noticed and the server produced <paramref name="quotes"/> more.</summary>
        public async Task CutForAsync(int quotes)
        {
            _relay.Cut();
            await Eventually.UntilAsync(() => Recorder.Saw(ConnectionState.Reconnecting), "the client notices the cut", detail: () => Server.Output);
            var processed = await Server.QuotesProcessedAsync();
            await Eventually.UntilAsync(async () => await Server.QuotesProcessedAsync() >= processed + quotes, $"{quotes} quotes while cut off", detail: () => Server.Output);
        }

        public void Restore() => _relay.Restore();

        public async ValueTask DisposeAsync()
        {
            await Recorder.DisposeAsync();
            await Client.DisposeAsync();
            await _relay.DisposeAsync();
            Server.Dispose();
        }
    }
}
