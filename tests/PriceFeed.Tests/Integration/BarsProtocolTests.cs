using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Wire;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// The bar messages of docs/protocol.md ("Bars") through a real server and real sockets: the history first, unsubscribe,
/// the answers to bad requests, entitlements, the per-client limit, <c>*</c>, and <c>--bar-history 0</c>.
/// </summary>
/// <remarks>Trades are stamped a day ahead (<see cref="FutureTape"/>), so only later trades close bars and the bars each
/// test sees do not depend on the machine's speed.</remarks>
public sealed class BarsProtocolTests
{
    private const long Second = 1_000_000_000;

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task TheFirstBarsMessageAfterTheAnswerIsTheHistoryEvenEmptyThenTheBarInProgress(string? subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        await using var early = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await early.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "AAA" }, IntervalS = 1, History = 10 });
        Assert.Empty(await early.HistoryAsync(1));

        var tape = new FutureTape(source);
        tape.Trade("AAA", 0, 10);
        tape.Trade("AAA", Second, 11);
        tape.Trade("AAA", 2 * Second, 12);
        await early.UntilAsync(() => early.Closed("AAA", 1).Count == 2, "two closed bars");

        // Nothing asked for: still one bars message, empty, then the bar in progress.
        await using var late = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await late.SubscribeBarsAsync(new SubscribeBars { RequestId = 7, Symbols = { "AAA" }, IntervalS = 1, History = 0 });
        Assert.Empty(await late.HistoryAsync(7));
        await late.UntilAsync(() => late.Bars.Count > 0, "the bar in progress");
        var first = late.Bars[0].Bar;
        Assert.Equal((tape.Origin + (2 * Second), 12.0, false), (first.StartNs, first.Close, first.Closed));

        // History 1 of 2 closed: the newest only.
        await using var one = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await one.SubscribeBarsAsync(new SubscribeBars { RequestId = 8, Symbols = { "AAA" }, IntervalS = 1, History = 1 });
        var history = Assert.Single(await one.HistoryAsync(8));
        Assert.Equal((tape.Origin + Second, 11.0, true), (history.StartNs, history.Close, history.Closed));
        BarAssert.WellOrdered(early.Bars);
    }

    /// <summary>Two symbols with 1,000 bars each: some 125 KB in protobuf, 340 KB in JSON, over the 64 KB a frame of
    /// quotes is cut at. The spec says one bars message: a client takes the first after the answer as the history.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task AHistoryOfAThousandBarsPerSymbolIsOneMessageOldestFirstNewestLast(string? subprotocol)
    {
        string[] symbols = ["AAA", "BBB"];
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, symbols));
        var tape = new FutureTape(source);
        for (var i = 0; i < 1_101; i++)
        {
            foreach (var symbol in symbols)
            {
                tape.Trade(symbol, i * Second, 100 + (i % 7));
            }
        }

        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { symbols }, IntervalS = 1, History = 1000 });
        var history = await client.HistoryAsync(1);

        // 1,100 closed each (the 1,101st trade's bar is in progress): the newest 1,000, AAA's then BBB's, in one message
        // (docs/protocol.md, "Bars", 2).
        var newest = Enumerable.Range(100, 1_000).Select(i => tape.Origin + (i * Second)).ToList();
        Assert.Equal([.. newest.Select(s => ("AAA", s)), .. newest.Select(s => ("BBB", s))], history.Select(b => (b.Symbol, b.StartNs)));
        Assert.All(history, b => Assert.True(b.Closed));
    }

    /// <summary>Asking again for a symbol already subscribed, with a history, on the same connection: the spec says a
    /// closed bar is never repeated on one connection (docs/protocol.md, "Bars", 3).</summary>
    [Fact]
    public async Task SubscribingAgainWithAHistoryRepeatsNoClosedBarOnTheConnection()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        await using var client = await BarClient.ConnectAsync(server.WsUri);
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "AAA" }, IntervalS = 1 });
        var tape = new FutureTape(source);
        for (var i = 0; i < 4; i++)
        {
            tape.Trade("AAA", i * Second, 10 + i);
        }

        await client.UntilAsync(() => client.Closed("AAA", 1).Count == 3, "three closed bars");
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "AAA" }, IntervalS = 1, History = 10 });
        await client.HistoryAsync(2);
        tape.Trade("AAA", 4 * Second, 14);
        await client.UntilAsync(() => client.Closed("AAA", 1).Any(b => b.Bar.StartNs == tape.Origin + (3 * Second)), "the fourth closed bar");
        BarAssert.WellOrdered(client.Bars);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task UnsubscribeBarsStopsThemAtOnceWhileQuotesGoOn(string? subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await client.SubscribeQuotesAsync(1, "AAA");
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "AAA" }, IntervalS = 5 });
        var tape = new FutureTape(source);
        tape.Trade("AAA", 0, 10);
        tape.Trade("AAA", 5 * Second, 11);
        await client.UntilAsync(() => client.Closed("AAA", 5).Count == 1, "a closed bar");

        await client.Client.SendAsync(new ClientMessage { UnsubscribeBars = new UnsubscribeBars { RequestId = 3, Symbols = { "AAA" }, IntervalS = 5 } });
        var pong = await client.PingAsync(1);
        var seq = 0UL;
        for (var i = 2; i < 6; i++)
        {
            seq = tape.Trade("AAA", i * 5 * Second, 10 + i);
        }

        await client.UntilAsync(() => client.Quotes.Any(q => q.Seq == seq), "the quotes of the trades after the unsubscribe");
        var after = client.Arrivals.Skip(pong + 1).ToList();
        Assert.DoesNotContain(after, a => a.Message.BodyCase == ServerMessage.BodyOneofCase.Bars);
        Assert.DoesNotContain(after, a => a.Message.BodyCase == ServerMessage.BodyOneofCase.SubscribeResult);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task BadBarRequestsAreAnsweredWithReasonsAndChangeNothingElse(string? subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await using var bystander = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await client.SubscribeQuotesAsync(1, "AAA");
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "AAA" }, IntervalS = 1 });
        await bystander.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "AAA" }, IntervalS = 1 });
        var tape = new FutureTape(source);
        tape.Trade("AAA", 0, 10);
        tape.Trade("BBB", 0, 20);
        await client.UntilAsync(() => client.InProgress("AAA", 1).Count == 1, "the bar in progress");
        var before = client.Arrivals.Count;

        static Rejection[] All(string reason, params string[] symbols) => [.. symbols.Select(s => new Rejection { Symbol = s, Reason = reason })];
        var wrongInterval = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 3, Symbols = { "AAA", "BBB" }, IntervalS = 2 });
        Assert.Equal(All(SubscriptionService.IntervalNotOffered, "AAA", "BBB"), wrongInterval.Rejected);
        var noInterval = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 4, Symbols = { "BBB" } });
        Assert.Equal(All(SubscriptionService.IntervalNotOffered, "BBB"), noInterval.Rejected);
        var tooLong = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 5, Symbols = { "AAA", "BBB" }, IntervalS = 5, History = 1001 });
        Assert.Equal(All(SubscriptionService.HistoryOverLimit, "AAA", "BBB"), tooLong.Rejected);
        var unknown = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 6, Symbols = { "ZZZ", "BBB" }, IntervalS = 1 });
        Assert.Equal(All(SubscriptionService.UnknownSymbol, "ZZZ"), unknown.Rejected);
        Assert.Equal(["BBB"], unknown.Accepted);
        Assert.All([wrongInterval, noInterval, tooLong], r => Assert.Empty(r.Accepted));
        Assert.Empty(await client.HistoryAsync(6));
        var pong = await client.PingAsync(1);
        // Of all that, one bars message only: the (empty) history of what request 6 accepted, and BBB's bar in progress.
        var bars = client.Arrivals.Take(pong).Skip(before).Where(a => a.Message.BodyCase == ServerMessage.BodyOneofCase.Bars).ToList();
        Assert.All(bars.Skip(1).SelectMany(a => a.Message.Bars.Bars), b => Assert.Equal(("BBB", false), (b.Symbol, b.Closed)));

        // Everything else as before: AAA's quotes and 1 s bars on this connection and the bystander's, BBB's 1 s bars now too.
        var seq = tape.Trade("AAA", Second, 11);
        tape.Trade("BBB", Second, 21);
        await client.UntilAsync(() => client.Quotes.Any(q => q.Symbol == "AAA" && q.Seq == seq), "AAA's quote");
        await client.UntilAsync(() => client.Closed("AAA", 1).Count == 1 && client.Closed("BBB", 1).Count == 1, "the closed bars of AAA and BBB");
        await bystander.UntilAsync(() => bystander.Closed("AAA", 1).Count == 1, "the bystander's closed bar of AAA");
        Assert.Equal(client.Closed("AAA", 1)[0].Bar, bystander.Closed("AAA", 1)[0].Bar);
        Assert.DoesNotContain(client.Bars, b => b.Bar.IntervalS != 1);
        Assert.DoesNotContain(bystander.Bars, b => b.Bar.Symbol != "AAA");
        BarAssert.WellOrdered(client.Bars);
    }

    [Fact]
    public async Task ASymbolTheTokenDoesNotCoverIsNotEntitled()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(
            options => options with { Tokens = TestTokens.Validator() }, ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        var token = TestTokens.Mint(symbols: ["AAA"]);
        await using var client = await BarClient.ConnectAsync(new Uri($"{server.WsUri}?token={Uri.EscapeDataString(token)}"));
        var result = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "AAA", "BBB" }, IntervalS = 1 });
        Assert.Equal(["AAA"], result.Accepted);
        Assert.Equal([new Rejection { Symbol = "BBB", Reason = SubscriptionService.NotEntitled }], result.Rejected);

        // "*" gives the covered symbols only.
        var star = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "*" }, IntervalS = 5 });
        Assert.Equal(["*"], star.Accepted);
        var tape = new FutureTape(source);
        tape.Trade("AAA", 0, 10);
        tape.Trade("BBB", 0, 20);
        tape.Trade("AAA", 5 * Second, 11);
        tape.Trade("BBB", 5 * Second, 21);
        await client.UntilAsync(() => client.Closed("AAA", 1).Count == 5 && client.Closed("AAA", 5).Count == 1, "AAA's closed bars");
        await client.PingAsync(1);
        Assert.DoesNotContain(client.Bars, b => b.Bar.Symbol == "BBB");
    }

    [Fact]
    public async Task TheLimitPerClientCountsNamedSymbolsPerInterval()
    {
        await using var server = await TestServer.StartAsync(
            options => options with { MaxSymbolsPerClient = 2 }, ScriptedQuoteSource.Factory(_ => { }, "AAA", "BBB", "CCC"));
        await using var client = await BarClient.ConnectAsync(server.WsUri);
        var result = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "AAA", "BBB", "CCC" }, IntervalS = 1 });
        Assert.Equal(["AAA", "BBB"], result.Accepted);
        Assert.Equal([new Rejection { Symbol = "CCC", Reason = SubscriptionService.Limit }], result.Rejected);
        var other = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 2, Symbols = { "CCC" }, IntervalS = 60 });
        Assert.Equal(["CCC"], other.Accepted);
    }

    [Fact]
    public async Task WithBarHistoryZeroNoIntervalIsOfferedAndQuotesGoOn()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(options => options with { BarHistory = 0 }, ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        await using var client = await BarClient.ConnectAsync(server.WsUri);
        foreach (var interval in (uint[])[1, 5, 60, 300])
        {
            var result = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = interval, Symbols = { "AAA", "*" }, IntervalS = interval });
            Assert.Empty(result.Accepted);
            Assert.Equal(["AAA", "*"], result.Rejected.Select(r => r.Symbol));
            Assert.All(result.Rejected, r => Assert.Equal(SubscriptionService.IntervalNotOffered, r.Reason));
        }

        await client.SubscribeQuotesAsync(1_000, "AAA");
        var seq = source.Publish("AAA");
        await client.UntilAsync(() => client.Quotes.Any(q => q.Seq == seq), "AAA's quote");
        Assert.DoesNotContain(client.Arrivals, a => a.Message.BodyCase == ServerMessage.BodyOneofCase.Bars);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task StarGivesTheBarsOfEverySymbolAlsoOnesThatComeLater(string? subprotocol)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA", "BBB"));
        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        var result = await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "*" }, IntervalS = 1 });
        Assert.Equal(["*"], result.Accepted);
        var tape = new FutureTape(source);
        foreach (var symbol in (string[])["AAA", "BBB", "NEW"])
        {
            tape.Trade(symbol, 0, 10);
            tape.Trade(symbol, Second, 11);
        }

        await client.UntilAsync(
            () => ((string[])["AAA", "BBB", "NEW"]).All(s => client.Closed(s, 1).Count == 1 && client.InProgress(s, 1).Count > 0),
            "a closed bar and a bar in progress of each symbol, the new one too");
        BarAssert.WellOrdered(client.Bars);
    }

    /// <summary>Trades stamped a day ahead of the clock, from a whole 5 minutes (<see cref="Origin"/>): the bar clock never
    /// reaches them, so their bars close only by later trades. Each symbol's first call also publishes its baseline.</summary>
    private sealed class FutureTape(ScriptedQuoteSource source)
    {
        private readonly Dictionary<string, ulong> _volumes = [];

        public long Origin { get; } = OfflineBars.StartOf(UnixTime.NowNs() + (86_400 * Second), 300);

        /// <summary>A trade of 10 at <paramref name="price"/>, <paramref name="offsetNs"/> after <see cref="Origin"/>; returns its seq.</summary>
        public ulong Trade(string symbol, long offsetNs, double price)
        {
            if (!_volumes.TryGetValue(symbol, out var volume))
            {
                volume = 1_000;
                source.PublishAt(symbol, Origin + offsetNs, price, volume);
            }

            _volumes[symbol] = volume + 10;
            return source.PublishAt(symbol, Origin + offsetNs, price, volume + 10);
        }
    }
}
