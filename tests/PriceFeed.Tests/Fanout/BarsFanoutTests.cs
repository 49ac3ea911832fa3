using PriceFeed.Protocol.V1;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// Bars through the real fan-out handler and client sessions (docs/protocol.md, "Bars"): the history first, then
/// updates, and each closed bar exactly once, in order and without a gap, whether a quote or the bar clock's tick
/// (<c>QuoteFanoutHandler.OnTick</c>, on the real clock) closed it; and a bar change racing a drain is never stranded.
/// </summary>
public sealed class BarsFanoutTests
{
    public const string SeedVariable = "PRICEFEED_BARS_FANOUT_SEED";

    private const long Second = 1_000_000_000;

    private readonly ITestOutputHelper _output;

    public BarsFanoutTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void HistoryThenUpdatesThenEachClosedBarOnceAcrossTickAndQuoteCloses()
    {
        var seed = TestSeed.From(SeedVariable);
        _output.WriteLine($"{SeedVariable}={seed}");
        var random = new Random(seed);
        using var harness = new FanoutHarness(symbols: 3, bars: true);
        var book = harness.Bars!;

        // Source times from 20 s ago: the clock's ticks close bars at first (later quotes of those bars are late and go
        // in the bar in progress), then the quotes overtake the clock and close them.
        var time = BarIntervals.StartOf(UnixClock.NowNs(), 1) - (20 * Second);
        for (var i = 0; i < 40; i++)
        {
            time += random.NextInt64(400_000_000);
            harness.Publish(random.Next(2), sourceTimeNs: time);
        }

        var proto = harness.Connect();
        var json = harness.Connect(json: true);
        var subscriptions = new List<(FanoutClient Client, int Interval, uint History, Dictionary<int, long> NewestAtStart)>
        {
            (proto, 0, 5, Subscribe(harness, proto, 1, 5, "S0", "S1", "S2")),
            (json, 1, 1000, Subscribe(harness, json, 5, 1000, "*")),
        };

        for (var step = 0; step < 600; step++)
        {
            var late = random.Next(10) == 0;
            time += random.NextInt64(late ? 0 : 300_000_000);
            harness.Publish(random.Next(3), endOfBatch: random.Next(3) != 0, sourceTimeNs: late ? time - random.NextInt64(3 * Second) : time);
            if (random.Next(15) == 0)
            {
                harness.Handler.OnTick();
            }

            foreach (var client in new[] { proto, json })
            {
                if (random.Next(4) == 0)
                {
                    client.DrainAndRead();
                }
            }
        }

        harness.Handler.OnTick();
        var end = UnixClock.NowNs();
        proto.DrainAndRead();
        json.DrainAndRead();

        var closed = subscriptions.Select(s => Check(book, s.Client, s.Interval, s.History, s.NewestAtStart)).ToList();

        _output.WriteLine($"clock {end}, last source time {time} ({(time - end) / (double)Second:F1} s ahead): closed bars received {string.Join(", ", closed)}");
        Assert.True(time > end, "the quotes overtook the clock, so quotes closed bars too");
        Assert.All(closed, count => Assert.True(count > 0, "closed bars were received"));
    }

    /// <summary>
    /// A trade (its bar flagged to the subscriber) racing the client's drain: either a drain is scheduled again, or the
    /// racing drain sent the bar as the trade left it.
    /// </summary>
    [Fact]
    public void ABarChangeRacingADrainIsEitherSentOrScheduled()
    {
        const int Rounds = 20_000;
        using var harness = new FanoutHarness(symbols: 1, bars: true);
        var book = harness.Bars!;
        var client = harness.Connect();
        var time = 1_764_754_200_000_000_000;
        harness.Publish(0, sourceTimeNs: time);
        harness.Publish(0, sourceTimeNs: time);
        Subscribe(harness, client, 1, 0, "S0");
        client.DrainAndRead();
        long scheduledBefore = 0;
        var lost = new List<int>();
        Litmus.Run(
            Rounds,
            setup: round =>
            {
                // Sends what is pending, then leaves a drain requested and never run: the fan-out does not ask again.
                client.Session.Drain();
                client.Read();
                time += Second / 4;
                harness.Publish(0, sourceTimeNs: time);
                scheduledBefore = client.Session.DrainsScheduled;
            },
            left: _ => harness.Publish(0, sourceTimeNs: time + 1),
            right: _ => client.Session.Drain(),
            check: round =>
            {
                client.Read();
                if (client.Session.DrainsScheduled != scheduledBefore)
                {
                    return;
                }

                Assert.True(book.Get(0)!.TryReadCurrent(0, out var current));
                var sent = client.Messages.Where(m => m.BodyCase == ServerMessage.BodyOneofCase.Bars)
                    .SelectMany(m => m.Bars.Bars).LastOrDefault(b => !b.Closed);
                if (sent is null || sent.StartNs != current.StartNs || sent.Trades != current.Trades)
                {
                    lost.Add(round);
                }
            });

        Assert.True(lost.Count == 0, $"{lost.Count} of {Rounds} rounds left a changed bar unsent with no drain to send it (first: {string.Join(", ", lost.Take(5))})");
        Assert.Empty(client.Violations);
    }

    /// <summary>Subscribes as the server's session handler does: the service, <c>subscribe_result</c>, then the history.</summary>
    /// <returns>The newest closed bar of each symbol at the time, by symbol id.</returns>
    private static Dictionary<int, long> Subscribe(FanoutHarness harness, FanoutClient client, uint intervalS, uint history, params string[] symbols)
    {
        var request = new SubscribeBars { RequestId = 7, IntervalS = intervalS, History = history };
        request.Symbols.Add(symbols);
        var started = new List<BarSubscription>();
        var result = harness.Service.SubscribeBars(client.Session, request, started);
        client.Session.SendControl!(new ServerMessage { SubscribeResult = result });
        Assert.Equal(symbols, result.Accepted);
        Assert.Equal(symbols[0] == "*" ? harness.Symbols.Count : symbols.Length, started.Count);
        var interval = BarIntervals.IndexOf(intervalS);
        var newest = started.ToDictionary(s => s.SymbolId, s => harness.Bars!.Get(s.SymbolId)!.NewestClosedStart(interval));
        client.Session.StartBars(started, (int)history);
        return newest;
    }

    /// <summary>Checks what one client got; returns how many closed bars it got.</summary>
    private static int Check(BarBook book, FanoutClient client, int interval, uint history, Dictionary<int, long> newestAtStart)
    {
        var messages = client.Messages.SkipWhile(m => m.BodyCase != ServerMessage.BodyOneofCase.SubscribeResult).ToList();
        Assert.True(messages.Count >= 2, "subscribe_result, then bars");
        Assert.Equal(ServerMessage.BodyOneofCase.Bars, messages[1].BodyCase);
        var historyBars = messages[1].Bars.Bars;
        Assert.All(historyBars, b => Assert.True(b.Closed, $"history bar {b} is closed"));
        var length = BarIntervals.LengthNs(interval);
        var closedCount = 0;
        foreach (var (symbolId, newest) in newestAtStart)
        {
            var symbol = FanoutHarness.SymbolName(symbolId);
            var inHistory = historyBars.Where(b => b.Symbol == symbol).ToList();
            var expectedHistory = newest == long.MinValue ? 0 : (int)Math.Min(history, ((newest - ReadFirstStart(book, symbolId, interval)) / length) + 1);
            Assert.Equal(expectedHistory, inHistory.Count);
            if (inHistory.Count > 0)
            {
                Assert.Equal(newest, inHistory[^1].StartNs);
            }

            // Every bar of the symbol after the subscribe_result, in order: closed ones consecutive from the history on,
            // each once; in-progress ones after the last closed one.
            var lastClosed = inHistory.Count > 0 ? inHistory[^1].StartNs : newest;
            var closed = new List<Bar>(inHistory);
            foreach (var bar in messages.Skip(2).Where(m => m.BodyCase == ServerMessage.BodyOneofCase.Bars).SelectMany(m => m.Bars.Bars).Where(b => b.Symbol == symbol))
            {
                Assert.Equal(BarIntervals.SecondsAt(interval), bar.IntervalS);
                if (bar.Closed)
                {
                    Assert.True(lastClosed == long.MinValue || bar.StartNs == lastClosed + length, $"{symbol}: closed bar at {bar.StartNs} after one at {lastClosed}");
                    lastClosed = bar.StartNs;
                    closed.Add(bar);
                }
                else
                {
                    Assert.True(bar.StartNs > lastClosed, $"{symbol}: bar in progress at {bar.StartNs} after the closed one at {lastClosed}");
                }
            }

            // What it got is what the book holds, field for field.
            if (closed.Count > 0)
            {
                var inBook = new BarValue[BarBook.MaxHistory];
                var count = book.Get(symbolId)!.ReadClosed(interval, closed[0].StartNs - 1, inBook);
                Assert.Equal(count, closed.Count);
                for (var i = 0; i < count; i++)
                {
                    Assert.Equal(ToMessage(symbol, interval, inBook[i]), closed[i]);
                }
            }

            closedCount += closed.Count;
        }

        Assert.Empty(client.Violations);
        return closedCount;
    }

    private static long ReadFirstStart(BarBook book, int symbolId, int interval)
    {
        Span<BarValue> one = stackalloc BarValue[1];
        return book.Get(symbolId)!.ReadClosed(interval, long.MinValue, one) == 1 ? one[0].StartNs : long.MinValue;
    }

    private static Bar ToMessage(string symbol, int interval, in BarValue bar) => new()
    {
        Symbol = symbol, IntervalS = BarIntervals.SecondsAt(interval), StartNs = bar.StartNs, Open = bar.Open, High = bar.High,
        Low = bar.Low, Close = bar.Close, Volume = bar.Volume, Trades = bar.Trades, Closed = true,
    };
}
