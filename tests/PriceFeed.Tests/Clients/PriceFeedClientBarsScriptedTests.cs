using PriceFeed.Client;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;
using Bar = PriceFeed.Client.Bar;

namespace PriceFeed.Tests.Clients;

/// <summary>The C# client's bar guard and bar re-subscribes against a peer whose bars the test writes, so that the
/// overlap of a reconnect's history is exact (docs/clients.md, "Bars").</summary>
public sealed class PriceFeedClientBarsScriptedTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public async Task DeliversEachClosedBarOnceAcrossAReconnectAndAsksForTheHistorySinceTheLastOne()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer);
        // Recent bars, so that the history asked for after the reconnect is a few bars.
        var t = (NowNs() / Second * Second) - (3 * Second);
        var first = await session.SubscribeBarsAsync(["AAA", "BBB"], interval: 1, history: 2);
        Assert.Equal((1u, 2u, 0u), (first.IntervalS, first.History, first.ThrottleMs));
        Assert.Empty(session.Client.Subscriptions);
        Assert.Equal([("AAA", 1), ("BBB", 1)], session.Client.BarSubscriptions.Order());

        // History, then the bar in progress; then a newer version of it and its closed version before the reader
        // takes them: the closed one replaces the waiting version in place.
        await session.Connection.SendAsync(Bars(("AAA", t - Second, true), ("AAA", t, true), ("BBB", t, true)));
        await session.Connection.SendAsync(Bars(("AAA", t + Second, false)));
        await session.ReadAsync(("AAA", t - Second, true), ("AAA", t, true), ("BBB", t, true), ("AAA", t + Second, false));
        await session.Connection.SendAsync(Bars(("AAA", t + Second, false), ("AAA", t + Second, true)));
        await session.ReadAsync(("AAA", t + Second, true));
        Assert.Equal(1, session.Client.BarsConflated);

        var before = NowNs();
        var again = await session.ReconnectAsync();
        var after = NowNs();
        // Per series its own history: AAA since its last closed bar (t + 1 s), BBB since t; one request per history.
        Assert.Equal(["AAA", "BBB"], again.SelectMany(r => r.Symbols).Order());
        foreach (var request in again)
        {
            var last = request.Symbols.Single() == "AAA" ? t + Second : t;
            Assert.InRange(request.History, Expected(last, before), Expected(last, after));
            Assert.Equal(1u, request.IntervalS);
        }

        // The history overlaps what was delivered; a stale bar in progress and the overlap are dropped.
        await session.Connection.SendAsync(Bars(("AAA", t, true), ("AAA", t + Second, true), ("AAA", t + (2 * Second), true), ("BBB", t, true)));
        await session.Connection.SendAsync(Bars(("AAA", t + Second, false), ("BBB", t + Second, false), ("AAA", t + (3 * Second), false)));
        await session.ReadAsync(("AAA", t + (2 * Second), true), ("BBB", t + Second, false), ("AAA", t + (3 * Second), false));
        Assert.Equal(4, session.Client.BarsIgnoredAsStale);

        static uint Expected(long lastStart, long now) => (uint)Math.Min(1000, ((now - lastStart + Second - 1) / Second) + 1);
    }

    [Fact]
    public async Task ResubscribesWithTheOriginalHistoryBeforeAnyBarAndNotTheQuoteSubscriptions()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer);
        await session.SubscribeBarsAsync(["*"], interval: 5, history: 7, throttleMs: 250);
        await session.SubscribeBarsAsync(["AAA"], interval: 60, history: 0);

        var again = await session.ReconnectAsync();

        Assert.Equal(
            [("*", 5u, 7u, 250u), ("AAA", 60u, 0u, 0u)],
            again.Select(r => (r.Symbols.Single(), r.IntervalS, r.History, r.ThrottleMs)).OrderBy(r => r.Item2));
    }

    [Fact]
    public async Task DoesNotSubscribeAgainToTheBarsOfSymbolsARefreshedTokenNoLongerCovers()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer);
        await session.SubscribeBarsAsync(["AAA", "BBB"], interval: 1, history: 0);
        await session.SubscribeBarsAsync(["AAA"], interval: 60, history: 0);

        // docs/protocol.md, "Token refresh": request id 0 lists what the server dropped; bars of it stop too.
        var dropped = new PriceFeed.Protocol.V1.SubscribeResult();
        dropped.Rejected.Add(new Rejection { Symbol = "AAA", Reason = "not_entitled" });
        await session.Connection.SendAsync(new ServerMessage { SubscribeResult = dropped });
        await Eventually.UntilAsync(() => session.Client.BarSubscriptions.Count == 1, "the client forgets AAA's bars");

        var again = Assert.Single(await session.ReconnectAsync());
        Assert.Equal(["BBB"], again.Symbols);
    }

    [Fact]
    public async Task ForgetsAnUnsubscribedSeriesDroppingItsBarsInFlightAndStartsAfreshWhenSubscribedAgain()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer);
        await session.SubscribeBarsAsync(["AAA"], interval: 1, history: 1);
        await session.Connection.SendAsync(Bars(("AAA", 10 * Second, true)));
        await session.ReadAsync(("AAA", 10 * Second, true));

        await session.Client.UnsubscribeBarsAsync(["AAA"], 1);
        var unsubscribe = (await session.Connection.ReceiveAsync()).UnsubscribeBars;
        Assert.Equal(["AAA"], unsubscribe.Symbols);
        Assert.Equal(1u, unsubscribe.IntervalS);
        Assert.Empty(session.Client.BarSubscriptions);
        // In flight when the client unsubscribed: not delivered.
        await session.Connection.SendAsync(Bars(("AAA", 11 * Second, false)));

        // Subscribed again: its history is delivered again, not held back by the bars read before.
        await session.SubscribeBarsAsync(["AAA"], interval: 1, history: 1);
        await session.Connection.SendAsync(Bars(("AAA", 10 * Second, true)));
        await session.ReadAsync(("AAA", 10 * Second, true));
        Assert.Equal(0, session.Client.BarsIgnoredAsStale);
    }

    [Fact]
    public async Task RejectsArgumentsThatCannotWork()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.Client.SubscribeBarsAsync(["AAA"], 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.Client.SubscribeBarsAsync(["AAA"], 1, history: -1));
        await Assert.ThrowsAsync<ArgumentException>(() => session.Client.SubscribeBarsAsync([], 1));
    }

    private static long NowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * TimeSpan.NanosecondsPerTick;

    private static ServerMessage Bars(params (string Symbol, long StartNs, bool Closed)[] bars)
    {
        var batch = new BarBatch();
        batch.Bars.AddRange(bars.Select(b => new PriceFeed.Protocol.V1.Bar
        {
            Symbol = b.Symbol, IntervalS = 1, StartNs = b.StartNs, Open = 1, High = 2, Low = 0.5, Close = 1.5, Volume = 10, Trades = 2, Closed = b.Closed,
        }));
        return new ServerMessage { Bars = batch };
    }

    private static Hello Hello() => new()
    {
        ServerId = "scripted",
        Protocol = "pricefeed.v1.proto",
        // Long enough that the client's dead-connection check never fires during a test.
        HeartbeatIntervalMs = 60_000,
        MaxSymbolsPerClient = 1000,
        SlowConsumerPolicy = "conflate",
    };

    private static ServerMessage Accepted(SubscribeBars request)
    {
        var result = new PriceFeed.Protocol.V1.SubscribeResult { RequestId = request.RequestId };
        result.Accepted.AddRange(request.Symbols);
        return new ServerMessage { SubscribeResult = result };
    }

    /// <summary>A client connected to the peer and its bar reader.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly ScriptedFeedPeer _peer;
        private readonly CancellationTokenSource _stop = new();
        private readonly IAsyncEnumerator<Bar> _reader;

        private Session(ScriptedFeedPeer peer, PriceFeedClient client, ScriptedFeedPeer.Connection connection)
        {
            _peer = peer;
            Client = client;
            Connection = connection;
            _reader = client.ReadBarsAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        }

        public PriceFeedClient Client { get; }

        public ScriptedFeedPeer.Connection Connection { get; private set; }

        public static async Task<Session> StartAsync(ScriptedFeedPeer peer)
        {
            var connecting = PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
            {
                Url = peer.WsUri,
                ReconnectDelay = TimeSpan.FromMilliseconds(20),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(50),
            });
            var connection = await peer.AcceptAsync();
            await connection.SendAsync(new ServerMessage { Hello = Hello() });
            return new Session(peer, await Eventually.WithinAsync(connecting, "the client to connect"), connection);
        }

        /// <summary>Subscribes to bars, answers with every symbol accepted and returns the request the peer received.</summary>
        public async Task<SubscribeBars> SubscribeBarsAsync(string[] symbols, int interval, int history, int throttleMs = 0)
        {
            var subscribing = Client.SubscribeBarsAsync(symbols, interval, history, throttleMs);
            var request = (await Connection.ReceiveAsync()).SubscribeBars;
            Assert.NotNull(request);
            await Connection.SendAsync(Accepted(request));
            await Eventually.WithinAsync(subscribing, "the subscribe_bars answer");
            return request;
        }

        /// <summary>Closes the current connection, accepts the client's next one, answers its bar re-subscribes (one per
        /// series the client holds, or fewer) and returns them.</summary>
        public async Task<List<SubscribeBars>> ReconnectAsync()
        {
            var held = Client.BarSubscriptions.Count;
            await Connection.GoAwayAsync();
            Connection = await _peer.AcceptAsync();
            await Connection.SendAsync(new ServerMessage { Hello = Hello() });
            var requests = new List<SubscribeBars>();
            while (requests.Sum(r => r.Symbols.Count) < held)
            {
                var request = (await Connection.ReceiveAsync()).SubscribeBars;
                Assert.NotNull(request);
                requests.Add(request);
                await Connection.SendAsync(Accepted(request));
            }

            return requests;
        }

        /// <summary>Reads exactly the given bars, in order.</summary>
        public async Task ReadAsync(params (string Symbol, long StartNs, bool Closed)[] expected)
        {
            foreach (var bar in expected)
            {
                Assert.True(await Eventually.WithinAsync(_reader.MoveNextAsync().AsTask(), $"{bar}"));
                Assert.Equal(bar, (_reader.Current.Symbol, _reader.Current.StartNs, _reader.Current.Closed));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reader.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
                // Stopped, as asked.
            }

            // The client's close handshake needs the peer's answer, which nobody reads here: do not wait for it long.
            await Client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
        }
    }
}
