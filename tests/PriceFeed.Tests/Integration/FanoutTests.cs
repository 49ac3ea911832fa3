using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Hosting;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Subscriptions, snapshots, live quotes, slow clients and policies, through a real server and real clients.</summary>
public sealed class FanoutTests
{
    private static ClientMessage Subscribe(ulong requestId, uint throttleMs = 0, bool skipSnapshot = false, params string[] symbols) =>
        new() { Subscribe = new Subscribe { RequestId = requestId, Symbols = { symbols }, ThrottleMs = throttleMs, SkipSnapshot = skipSnapshot } };

    private static async Task<SubscribeResult> SubscribeAsync(FeedClient client, params string[] symbols)
    {
        await client.SendAsync(Subscribe(7, symbols: symbols));
        var answer = await client.ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
        Assert.Equal(7ul, answer.SubscribeResult.RequestId);
        return answer.SubscribeResult;
    }

    /// <summary>Reads messages into <paramref name="tracker"/> until <paramref name="done"/> holds.</summary>
    private static async Task ReadUntilAsync(FeedClient client, QuoteTracker tracker, Func<bool> done, string what)
    {
        using var deadline = Eventually.Deadline();
        while (!done())
        {
            var message = await Eventually.WithinAsync(client.ReceiveAsync(), what);
            tracker.Record(message);
        }
    }

    [Fact]
    public async Task SendsSubscribeResultThenSnapshotThenLiveQuotes()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        source.Publish("AAA");
        source.Publish("AAA");
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(0) == 2, "the cache holds AAA seq 2");
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;

        var result = await SubscribeAsync(client, "AAA", "BBB");

        Assert.Equal(["AAA", "BBB"], result.Accepted);
        Assert.Empty(result.Rejected);
        var snapshot = await client.ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.Snapshot, snapshot.BodyCase);
        var quote = Assert.Single(snapshot.Snapshot.Quotes);
        Assert.Equal(("AAA", 2ul), (quote.Symbol, quote.Seq));

        source.Publish("BBB");
        source.Publish("AAA");
        var tracker = new QuoteTracker();
        tracker.Record(snapshot);
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("AAA") == 3 && tracker.LastSeqOf("BBB") == 1, "live AAA 3 and BBB 1");
    }

    [Fact]
    public async Task AClientThatKeepsUpGetsEveryUpdateEvenWithinOneBatch()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await SubscribeAsync(client, "AAA", "BBB");

        // Back to back, faster than any drain: many land in one ring batch.
        for (var i = 0; i < 60; i++)
        {
            source.Publish(i % 3 == 0 ? "BBB" : "AAA");
        }

        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("AAA") == 40 && tracker.LastSeqOf("BBB") == 20, "the last AAA and BBB");
        Assert.Equal(40, tracker.CountOf("AAA"));
        Assert.Equal(20, tracker.CountOf("BBB"));
        Assert.Equal(0, server.Server.Subscriptions.Totals().Conflated);
    }

    [Fact]
    public async Task SkipsTheSnapshotWhenAsked()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        source.Publish("AAA");
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(0) == 1, "the cache holds AAA");
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;

        await client.SendAsync(Subscribe(1, skipSnapshot: true, symbols: "AAA"));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);
        source.Publish("AAA");

        var next = await client.ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.Quotes, next.BodyCase);
        Assert.Equal(2ul, Assert.Single(next.Quotes.Quotes).Seq);
    }

    [Fact]
    public async Task RejectsUnknownSymbolsAndSymbolsPastTheLimit()
    {
        await using var server = await TestServer.StartAsync(
            options => options with { MaxSymbolsPerClient = 2 },
            ScriptedQuoteSource.Factory(_ => { }, "AAA", "BBB", "CCC"));
        var (client, hello) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        Assert.Equal(2u, hello.MaxSymbolsPerClient);

        var result = await SubscribeAsync(client, "AAA", "NOPE", "BBB", "CCC", "AAA");

        Assert.Equal(["AAA", "BBB"], result.Accepted);
        Assert.Equal(
            [("NOPE", SubscriptionService.UnknownSymbol), ("CCC", SubscriptionService.Limit)],
            result.Rejected.Select(r => (r.Symbol, r.Reason)));
    }

    /// <summary>Issue 12, defect 6, end to end: <c>*</c>, then naming more symbols than the limit, then unsubscribing <c>*</c>.</summary>
    [Fact]
    public async Task TheSymbolLimitHoldsForSymbolsNamedWhileSubscribedToTheWildcard()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(
            options => options with { MaxSymbolsPerClient = 2 },
            ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB", "CCC"));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await client.SendAsync(Subscribe(1, skipSnapshot: true, symbols: "*"));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);

        var named = await SubscribeAsync(client, "AAA", "BBB", "CCC");
        await client.SendAsync(new ClientMessage { Unsubscribe = new Unsubscribe { RequestId = 8, Symbols = { "*" } } });

        Assert.Equal(["AAA", "BBB"], named.Accepted);
        Assert.Equal([("CCC", SubscriptionService.Limit)], named.Rejected.Select(r => (r.Symbol, r.Reason)));
        await Eventually.UntilAsync(() => server.Server.Registry.Count == 2, "the unsubscribe of * leaves the two named symbols");
        source.Publish("CCC");
        source.Publish("AAA");
        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("AAA") == 1, "the live AAA");
        Assert.Equal(0, tracker.CountOf("CCC"));
    }

    /// <summary>
    /// Issue 12, defect 5: the quote log is sized from the ring; at the largest ring the option accepts its
    /// arrays must neither overflow at start-up nor wrap to a size whose appends fail once quotes flow.
    /// </summary>
    [Theory]
    [InlineData("conflate")]
    [InlineData("drop")]
    public async Task ServesLiveQuotesWithTheLargestRingSizeTheOptionAccepts(string policy)
    {
        // The option's upper bound, as the command line accepts it (one more power of two is refused).
        const int Largest = 1 << 24;
        var accepted = FeedServerOptions.Load(["--ring-size", $"{Largest}"], out var errors, out _, new Dictionary<string, string>());
        Assert.Empty(errors);
        FeedServerOptions.Load(["--ring-size", $"{Largest * 2}"], out var refused, out _, new Dictionary<string, string>());
        Assert.NotEmpty(refused);
        var largest = accepted.RingSize;
        await using var server = await TestServer.StartAsync(options => options with { RingSize = largest, Policy = Enum.Parse<SlowConsumerPolicy>(policy, ignoreCase: true), Rate = 5_000 });
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        var symbols = server.Server.Symbols.ToArray();
        await SubscribeAsync(client, symbols);

        // Far enough round a log sized from the ring that any index past a wrapped array's end has come up.
        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => tracker.Quotes >= 2_000, "2,000 quotes");
        Assert.Equal(0, tracker.Violations);
        Assert.Equal(largest, server.Server.Options.RingSize);
    }

    /// <summary>
    /// Issue 12, defect 7: a quote the fan-out cannot process costs that quote only; the failure is logged
    /// as an error and counted in <c>/metrics</c>, and the quotes around it still reach their clients.
    /// </summary>
    [Fact]
    public async Task AQuoteTheFanoutFailsOnIsLoggedAndCountedAndCostsNothingElse()
    {
        var capture = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(capture));
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"), loggerFactory: loggerFactory);
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await client.SendAsync(Subscribe(7, skipSnapshot: true, symbols: "AAA"));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);

        source.Publish("AAA");
        source.PublishUnprocessable();
        source.Publish("AAA");

        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("AAA") == 2, "both AAA quotes around the failure");
        var metrics = await server.HttpClient.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("pricefeed_fanout_failures_total 1", metrics, StringComparison.Ordinal);
        Assert.Contains(capture.Lines, line => line.StartsWith("Error PriceFeed.Server.Fanout", StringComparison.Ordinal));
    }

    /// <summary><c>send_time_ns</c>: every snapshot and quotes message is stamped once, when the server built it.</summary>
    [Theory]
    [InlineData("pricefeed.v1.proto")]
    [InlineData("pricefeed.v1.json")]
    public async Task StampsEverySnapshotAndQuotesMessageWithTheTimeItWasBuilt(string subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        source.Publish("AAA");
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(0) == 1, "the cache holds AAA");
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, subprotocol);
        await using var _c = client;
        await client.SendAsync(Subscribe(7, symbols: ["AAA", "BBB"]));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);

        var snapshot = (await client.ReceiveAsync()).Snapshot;
        source.PublishBatch(["AAA", "BBB"]);
        var live = (await client.ReceiveAsync()).Quotes;
        var received = PriceFeed.Simulation.UnixTime.NowNs();

        // Built after the quotes entered the ring, before they arrived; the live message after the snapshot.
        Assert.InRange(snapshot.SendTimeNs, snapshot.Quotes.Max(q => q.PublishTimeNs), live.SendTimeNs);
        Assert.InRange(live.SendTimeNs, live.Quotes.Max(q => q.PublishTimeNs), received);
    }

    [Fact]
    public async Task WildcardCoversSymbolsThatAppearLater()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        source.Publish("AAA");
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(0) == 1, "the cache holds AAA");
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;

        Assert.Equal(["*"], (await SubscribeAsync(client, "*")).Accepted);
        var tracker = new QuoteTracker();
        tracker.Record(await client.ReceiveAsync());
        Assert.Equal(1ul, tracker.LastSeqOf("AAA"));

        source.Publish("NEW1");
        source.Publish("NEW1");
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("NEW1") == 2, "NEW1 seq 2 reaches the * subscriber");
    }

    [Fact]
    public async Task UnsubscribeStopsUpdatesAtOnce()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await SubscribeAsync(client, "AAA", "BBB");

        await client.SendAsync(new ClientMessage { Unsubscribe = new Unsubscribe { RequestId = 8, Symbols = { "AAA" } } });
        await client.PingAsync(1); // the unsubscribe was handled before the pong was written
        source.Publish("AAA");
        source.Publish("BBB");

        // Quotes leave the fan-out in ring order: once BBB arrived, AAA would have come before it.
        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => tracker.LastSeqOf("BBB") == 1, "BBB arrives");
        Assert.Equal(0, tracker.CountOf("AAA"));
    }

    [Fact]
    public async Task SlowClientDoesNotHoldBackFastOnesAndConvergesWhenTheSourceStops()
    {
        // Busy enough that a client that stops reading fills its socket within a second.
        await using var server = await TestServer.StartAsync(options => options with { Symbols = 20, Rate = 20_000, Duration = 4 });
        var symbols = server.Server.Symbols.ToArray();
        var (fast, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _f = fast;
        var (slow, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, receiveBufferBytes: 4096);
        await using var _s = slow;
        await SubscribeAsync(fast, symbols);
        await SubscribeAsync(slow, symbols);

        var fastTracker = new QuoteTracker();
        var fastPump = fastTracker.PumpAsync(fast);

        // The slow client reads nothing for two seconds while the fast one keeps going.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var fastWhileSlowStalled = fastTracker.Quotes;
        Assert.True(fastWhileSlowStalled > 100, $"the fast client received only {fastWhileSlowStalled} quotes while the slow one stalled");

        // Both read until the source has stopped and each holds the latest quote of every symbol.
        var slowTracker = new QuoteTracker();
        var slowPump = slowTracker.PumpAsync(slow);
        await Eventually.UntilAsync(() => Converged(server, slowTracker), "the slow client converges", TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(() => Converged(server, fastTracker), "the fast client converges", TimeSpan.FromSeconds(30));
        Assert.Equal(0, slowTracker.Violations + fastTracker.Violations);

        Assert.True(
            slowTracker.Quotes < server.Server.Source.Published,
            $"the slow client got fewer, newer updates ({slowTracker.Quotes} of {server.Server.Source.Published}; the fast one {fastTracker.Quotes})");
        Assert.True(server.Server.Subscriptions.Totals().Conflated > 0, "updates were conflated for the slow client");
    }

    [Fact]
    public async Task DropPolicyDropsOldestAndCountsThem()
    {
        await using var server = await TestServer.StartAsync(options => options with
        {
            Symbols = 20, Rate = 20_000, Duration = 3, Policy = SlowConsumerPolicy.Drop, QueueCapacity = 16,
        });
        var symbols = server.Server.Symbols.ToArray();
        var (client, hello) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, receiveBufferBytes: 4096);
        await using var _c = client;
        Assert.Equal("drop", hello.SlowConsumerPolicy);
        await SubscribeAsync(client, symbols);

        await Task.Delay(TimeSpan.FromSeconds(1.5)); // not reading: the socket fills, then the FIFO overflows
        var tracker = new QuoteTracker();
        await ReadUntilAsync(
            client, tracker, () => server.Server.Subscriptions.Totals().Dropped > 0 && tracker.Quotes > 1_000, "updates are dropped and the client reads on");

        // Every quote that did arrive kept its order (QuoteTracker checks each one), and the counts are exported.
        Assert.True(tracker.Quotes > 1_000);
        var metrics = await server.HttpClient.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches(@"pricefeed_quotes_dropped_total [1-9]", metrics);
        using var clients = System.Text.Json.JsonDocument.Parse(await server.HttpClient.GetStringAsync(new Uri("/api/clients", UriKind.Relative)));
        var client0 = Assert.Single(clients.RootElement.EnumerateArray());
        Assert.True(client0.GetProperty("dropped").GetInt64() > 0);
        Assert.Equal(symbols.Length, client0.GetProperty("subscriptions").GetInt32());
    }

    [Fact]
    public async Task ThrottleSendsAtMostOneUpdatePerSymbolPerInterval()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await client.SendAsync(Subscribe(1, throttleMs: 250, symbols: "AAA"));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);

        var received = new System.Collections.Concurrent.ConcurrentQueue<Quote>();
        using var stopReading = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!stopReading.IsCancellationRequested)
            {
                var message = await client.ReceiveAsync();
                // A snapshot may carry the first quote, if it was published while the subscription was being answered.
                foreach (var quote in (message.Quotes ?? message.Snapshot).Quotes)
                {
                    received.Enqueue(quote);
                }
            }
        });

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            source.Publish("AAA");
            await Task.Delay(2);
        }

        var finalSeq = source.LastSeq("AAA");
        await Eventually.UntilAsync(() => received.LastOrDefault()?.Seq == finalSeq, $"the latest AAA ({finalSeq}) arrives");
        stopReading.Cancel();
        Assert.False(reader.IsFaulted, reader.Exception?.ToString());

        // Hundreds of quotes in 1.5 s, one update per 250 ms: at most 7 (the first goes at once), plus the latest once the source stops.
        Assert.InRange(received.Count, 2, 8);
        Assert.Equal(received.Select(q => q.Seq).Order(), received.Select(q => q.Seq));
        Assert.True(finalSeq > 100, $"the publisher made only {finalSeq} quotes");
    }

    [Fact]
    public async Task ThousandsOfConnectSubscribeDisconnectCyclesLeaveNothingBehind()
    {
        await using var server = await TestServer.StartAsync(options => options with { Symbols = 50, Rate = 5_000 });
        var symbols = server.Server.Symbols.ToArray();

        await Parallel.ForAsync(0, 1_000, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
            await using var _c = client;
            await SubscribeAsync(client, i % 10 == 0 ? ["*"] : [symbols[i % 50], symbols[(i + 7) % 50]]);
        });

        await Eventually.UntilAsync(
            () => server.Server.Registry.Count == 0 && server.Server.Subscriptions.Sessions.Count == 0 && server.Server.Registry.WildcardCount == 0,
            "every subscription and session is gone");
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 0, "every connection is closed");
    }

    [Fact]
    public async Task ClosesAClientThatStaysBehindPastTheGraceWith4001()
    {
        await using var server = await TestServer.StartAsync(options => options with
        {
            Symbols = 20, Rate = 20_000, SlowConsumerGraceMs = 300,
        });
        var symbols = server.Server.Symbols.ToArray();
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, receiveBufferBytes: 4096);
        await using var _c = client;
        await SubscribeAsync(client, symbols);

        await Eventually.UntilAsync(() => server.Server.Metrics.SlowConsumerCloses.Value >= 1, "the server gives up on the client");
        var (status, before) = await client.ReceiveCloseAsync();

        Assert.Equal((WebSocketCloseStatus)4001, status);
        // Warned first (docs/protocol.md, "Slow-consumer warning"), at least half the grace before the close.
        var warnings = before.Select(payload => ServerMessage.Parser.ParseFrom(payload))
            .Where(m => m.BodyCase == ServerMessage.BodyOneofCase.SlowConsumer).Select(m => m.SlowConsumer).ToList();
        var warning = Assert.Single(warnings);
        Assert.False(warning.Cleared);
        Assert.InRange(warning.CloseInMs, 150u, 300u);
    }

    /// <summary>
    /// Issue 12, defect 4, end to end: one burst bigger than the socket's high-water mark makes the drain stop
    /// and flush; the flush makes the channel writable inside the drain. A prompt reader that then holds
    /// every quote must not be closed as slow once the grace has passed with the feed quiet.
    /// </summary>
    [Fact]
    public async Task APromptClientWhoseBurstPassesTheHighWaterMarkIsNotClosedAsSlow()
    {
        var names = Enumerable.Range(0, 1_500).Select(i => $"S{i:D4}").ToArray();
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(
            options => options with { SlowConsumerGraceMs = 200 }, ScriptedQuoteSource.Factory(s => source = s, names));
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await client.SendAsync(Subscribe(7, skipSnapshot: true, symbols: names));
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, (await client.ReceiveAsync()).BodyCase);

        // One quote per symbol in one ring batch: about 100 KB for one drain, against a 64 KiB high-water mark.
        source.PublishBatch(names);
        var tracker = new QuoteTracker();
        await ReadUntilAsync(client, tracker, () => names.All(name => tracker.LastSeqOf(name) == 1), "one quote of every symbol");

        // The assertion is about time passing: a full second of silence, five graces.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, server.Server.Metrics.SlowConsumerCloses.Value);
        Assert.True((await client.PingAsync(42)).ClientTimeNs == 42, "the client is still served");
    }

    /// <summary>The source has stopped, the fan-out has taken everything, and the client holds every symbol's latest quote.</summary>
    private static bool Converged(TestServer server, QuoteTracker tracker)
    {
        // The source and the ring first: a quote published after the comparison would otherwise go unseen.
        if (!server.Server.Source.Completion.IsCompleted || server.Server.RingLag != 0)
        {
            return false;
        }

        var cache = server.Server.Cache;
        foreach (var symbol in server.Server.Symbols.ToArray())
        {
            server.Server.Symbols.TryGetId(symbol, out var id);
            if (tracker.LastSeqOf(symbol) != cache.LatestSeq(id))
            {
                return false;
            }
        }

        return true;
    }
}
