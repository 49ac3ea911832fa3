using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Wire;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// The bars a real server computes (docs/protocol.md, "Bars"), through real sockets in both subprotocols, against an
/// offline aggregation of the very quotes a scripted source gave it: every field of every closed bar.
/// </summary>
/// <remarks>
/// Bars close two ways, and the tests keep them apart so the comparison is exact. Quotes stamped a day ahead of the
/// server's clock are never reached by the clock, so only later trades close their bars, whatever the machine's load:
/// that covers every interval, the long ones included, in a second. Quotes stamped now are closed by the clock; they are
/// published only between 50 and 750 ms into a second, so a quote would have to wait some 270 ms between its stamp and
/// the fan-out to fall after the clock closed its bar (the server then counts it in the next bar, by design).
/// </remarks>
public sealed class BarsTests(ITestOutputHelper output)
{
    private static readonly uint[] s_intervals = [1, 5, 60, 300];

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task BarsClosedByLaterTradesEqualAnOfflineAggregationInEveryIntervalLiveAndFromHistory(string? subprotocol)
    {
        string[] symbols = ["FUT1", "FUT2", "FUT3"];
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, symbols));
        await using var live = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        foreach (var interval in s_intervals)
        {
            var result = await live.SubscribeBarsAsync(new SubscribeBars { RequestId = interval, Symbols = { symbols }, IntervalS = interval, History = 1000 });
            Assert.Equal(symbols, result.Accepted);
            Assert.Empty(await live.HistoryAsync(interval));
        }

        var offline = PublishFutureStream(source, symbols, quotesPerSymbol: 800, seed: 17);

        // Live: every closed bar once, in order, and the bar in progress as it ends up.
        await live.UntilAsync(() => AllCaughtUp(live, offline, symbols), "the live client has every closed bar and the last bar in progress");
        BarAssert.WellOrdered(live.Bars);
        foreach (var symbol in symbols)
        {
            foreach (var interval in s_intervals)
            {
                var expected = Run(symbol, interval);
                Assert.True(expected.Count >= (interval == 300 ? 1 : 5), $"the stream spans several {interval} s bars");
                BarAssert.Equal(expected, [.. live.Closed(symbol, interval).Select(b => b.Bar)], $"{symbol} {interval} s live");
            }
        }

        // From history, on clients that come afterwards: the same bars, oldest first, each symbol's in turn. A history
        // this long may come in several bars messages (BarsProtocolTests checks it is one), so all of `late`'s closed bars count.
        await using var late = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await using var recent = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        foreach (var interval in s_intervals)
        {
            await late.SubscribeBarsAsync(new SubscribeBars { RequestId = interval, Symbols = { symbols }, IntervalS = interval, History = 1000 });
            await recent.SubscribeBarsAsync(new SubscribeBars { RequestId = interval, Symbols = { symbols }, IntervalS = interval, History = 5 });
            var newest = await recent.HistoryAsync(interval);
            Assert.Equal(symbols, newest.Select(b => b.Symbol).Distinct());
            foreach (var symbol in symbols)
            {
                BarAssert.Equal([.. Run(symbol, interval).TakeLast(5)], [.. newest.Where(b => b.Symbol == symbol)], $"{symbol} {interval} s history 5");
            }
        }

        await late.UntilAsync(() => AllCaughtUp(late, offline, symbols), "the late client has every closed bar and the bars in progress");
        BarAssert.WellOrdered(late.Bars);
        foreach (var symbol in symbols)
        {
            foreach (var interval in s_intervals)
            {
                BarAssert.Equal(Run(symbol, interval), [.. late.Closed(symbol, interval).Select(b => b.Bar)], $"{symbol} {interval} s history 1000");
            }
        }

        List<Bar> Run(string symbol, uint interval) =>
            offline.ExpectedRun(symbol, interval, offline.LastStart(symbol, interval) - OfflineBars.Length(interval));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task BarsClosedByTheClockEqualAnOfflineAggregation(string? subprotocol)
    {
        string[] symbols = ["NOW1", "NOW2"];
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, symbols));
        await using var live = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        foreach (var interval in (uint[])[1, 5])
        {
            await live.SubscribeBarsAsync(new SubscribeBars { RequestId = interval, Symbols = { symbols }, IntervalS = interval });
        }

        var random = new Random(5);
        var offline = new OfflineBars();
        var state = symbols.ToDictionary(s => s, _ => (Ticks: 5_000L, Volume: 10_000UL));
        var running = Stopwatch.StartNew();
        while (running.Elapsed < TimeSpan.FromSeconds(3.2))
        {
            await SafeMomentAsync();
            foreach (var symbol in symbols)
            {
                var (ticks, volume) = state[symbol];
                ticks += random.Next(-4, 5);
                volume += random.NextDouble() < 0.3 ? 0UL : (ulong)random.Next(1, 300);
                state[symbol] = (ticks, volume);
                Publish(source, offline, symbol, UnixTime.NowNs(), ticks / 100.0, volume);
            }

            await Task.Delay(random.Next(5, 40));
        }

        // Through the bar of the last trade and, for 1 s, two flat ones after it: all closed by the clock.
        long Through(string symbol, uint interval) => offline.LastStart(symbol, interval) + (interval == 1 ? 2 * OfflineBars.Length(1) : 0);
        await live.UntilAsync(
            () => symbols.All(s => ((uint[])[1, 5]).All(i => live.Closed(s, i).Any(b => b.Bar.StartNs >= Through(s, i)))),
            "the clock closed the bars of the last trades");
        BarAssert.WellOrdered(live.Bars);
        foreach (var symbol in symbols)
        {
            foreach (var interval in (uint[])[1, 5])
            {
                var received = live.Closed(symbol, interval).Select(b => b.Bar).Where(b => b.StartNs <= Through(symbol, interval)).ToList();
                BarAssert.Equal(offline.ExpectedRun(symbol, interval, Through(symbol, interval)), received, $"{symbol} {interval} s");
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task AnIntervalWithoutTradesGivesAClosedFlatBarAtThePreviousCloseEverySecond(string? subprotocol)
    {
        const string Symbol = "FLAT";
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, Symbol));
        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { Symbol }, IntervalS = 1 });

        source.PublishAt(Symbol, UnixTime.NowNs(), 50, 1_000);
        await SafeMomentAsync();
        var traded = UnixTime.NowNs();
        source.PublishAt(Symbol, traded, 50.25, 1_100);
        // Then 2.6 s of quotes whose volume does not grow: prices move, but nothing trades.
        var quiet = Stopwatch.StartNew();
        for (var i = 0; quiet.Elapsed < TimeSpan.FromSeconds(2.6); i++)
        {
            await Task.Delay(100);
            source.PublishAt(Symbol, UnixTime.NowNs(), 49 + (i * 0.5), 1_100);
        }

        var start = OfflineBars.StartOf(traded, 1);
        var second = OfflineBars.Length(1);
        await client.UntilAsync(() => client.Closed(Symbol, 1).Any(b => b.Bar.StartNs >= start + (3 * second)), "three flat bars after the trade");
        BarAssert.WellOrdered(client.Bars);
        var closed = client.Closed(Symbol, 1).Where(b => b.Bar.StartNs <= start + (3 * second)).ToList();
        Bar Expected(long at, ulong volume, uint trades) => new()
        {
            Symbol = Symbol, IntervalS = 1, StartNs = at, Open = 50.25, High = 50.25, Low = 50.25, Close = 50.25, Volume = volume, Trades = trades, Closed = true,
        };
        BarAssert.Equal(
            [Expected(start, 100, 1), Expected(start + second, 0, 0), Expected(start + (2 * second), 0, 0), Expected(start + (3 * second), 0, 0)],
            [.. closed.Select(b => b.Bar)],
            "the trade's bar, then flat ones");
        for (var i = 0; i < closed.Count; i++)
        {
            // Closed by the clock, so not before the bar's end (10 ms of slack for the two readings of the same clock).
            Assert.True(closed[i].AtNs >= closed[i].Bar.StartNs + second - 10_000_000, $"bar {i} came {(closed[i].Bar.StartNs + second - closed[i].AtNs) / 1e6} ms before its end");
            output.WriteLine($"{(subprotocol ?? "proto")}: bar {i} closed {(closed[i].AtNs - closed[i].Bar.StartNs - second) / 1e6:F1} ms after its end");
        }
    }

    /// <summary>True once <paramref name="client"/> has every closed bar of the stream and its last bar in progress.</summary>
    private static bool AllCaughtUp(BarClient client, OfflineBars offline, string[] symbols) =>
        symbols.All(symbol => s_intervals.All(interval =>
        {
            var last = offline.LastStart(symbol, interval);
            return client.Closed(symbol, interval).Count >= (last - offline.FirstStart(symbol, interval)) / OfflineBars.Length(interval)
                && client.InProgress(symbol, interval) is { Count: > 0 } progress
                && progress[^1].Bar is var current
                && current.Equals(offline.Expected(symbol, interval, last, closed: false));
        }));

    /// <summary>
    /// Publishes a seeded stream stamped a day ahead, spanning some 11 minutes per symbol: gaps of up to 0.7 s, some of
    /// 5 to 90 s (flat bars in every interval), quotes exactly on a second and a nanosecond before one, quotes that do
    /// not trade, and volumes that start again lower (a new baseline). Returns its offline aggregation.
    /// </summary>
    private static OfflineBars PublishFutureStream(ScriptedQuoteSource source, string[] symbols, int quotesPerSymbol, int seed)
    {
        const long Second = 1_000_000_000;
        var random = new Random(seed);
        var offline = new OfflineBars();
        var origin = OfflineBars.StartOf(UnixTime.NowNs() + (86_400 * Second), 300) + 7_300_000_123;
        var state = symbols.ToDictionary(s => s, _ => (Time: origin, Ticks: 10_000L, Volume: 1_000UL));
        for (var i = 0; i < quotesPerSymbol; i++)
        {
            foreach (var symbol in symbols)
            {
                var (time, ticks, volume) = state[symbol];
                var r = random.NextDouble();
                time = r < 0.01 ? time + (random.NextInt64(5_000, 90_000) * 1_000_000)
                    : r < 0.06 ? ((time / Second) + 1) * Second
                    : r < 0.09 ? (((time / Second) + 1) * Second) - 1
                    : time + random.NextInt64(1, 700_000_000);
                ticks += random.Next(-5, 6);
                r = random.NextDouble();
                volume = r < 0.2 ? volume : r < 0.21 ? (ulong)random.Next(1, 100) : volume + (ulong)random.Next(1, 500);
                state[symbol] = (time, ticks, volume);
                Publish(source, offline, symbol, time, ticks / 100.0, volume);
            }
        }

        return offline;
    }

    private static void Publish(ScriptedQuoteSource source, OfflineBars offline, string symbol, long timeNs, double last, ulong volume)
    {
        offline.Take(symbol, timeNs, last, volume);
        source.PublishAt(symbol, timeNs, last, volume);
    }

    /// <summary>Waits until the clock is 50 to 750 ms into a second, far from the boundary the bar clock closes bars at.</summary>
    internal static async Task SafeMomentAsync()
    {
        while (true)
        {
            var intoSecond = UnixTime.NowNs() % 1_000_000_000 / 1_000_000;
            if (intoSecond is >= 50 and < 750)
            {
                return;
            }

            await Task.Delay(intoSecond < 50 ? 60 - (int)intoSecond : 1_060 - (int)intoSecond);
        }
    }
}
