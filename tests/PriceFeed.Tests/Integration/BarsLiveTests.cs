using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Wire;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Integration;

/// <summary>Bars of a live server across a reconnect and under a throttle (docs/protocol.md, "Bars", 3 and 6).</summary>
public sealed class BarsLiveTests(ITestOutputHelper output)
{
    private const long Second = 1_000_000_000;

    /// <summary>
    /// A raw client keeping the rule of docs/protocol.md ("Bars", 6): it remembers the start of the last closed bar it
    /// delivered per symbol, asks again with history = ceil((now - last) / interval) + 1 and drops what it already has.
    /// Across 1.5 s away, mid-interval, the closed bars it delivers are one consecutive run: no gap, no repeat.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task AClientReconnectingMidIntervalGetsEachClosedBarExactlyOnce(string? subprotocol)
    {
        await using var server = await TestServer.StartAsync();
        var symbols = Enumerable.Range(0, 3).Select(server.Server.Symbols.GetName).ToArray();
        var delivered = symbols.ToDictionary(s => s, _ => new List<Bar>());
        var last = new Dictionary<string, long>();

        void Deliver(BarClient client)
        {
            foreach (var symbol in symbols)
            {
                foreach (var (_, bar) in client.Closed(symbol, 1))
                {
                    if (!last.TryGetValue(symbol, out var seen) || bar.StartNs > seen)
                    {
                        delivered[symbol].Add(bar);
                        last[symbol] = bar.StartNs;
                    }
                }
            }
        }

        long awayAt;
        await using (var before = await BarClient.ConnectAsync(server.WsUri, subprotocol))
        {
            await before.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { symbols }, IntervalS = 1, History = 3 });
            await before.UntilAsync(() => symbols.All(s => before.Closed(s, 1).Count >= 5), "history and live closed bars");
            // Away at some 300 ms into a second: back 1.5 s later, at some 800 ms into one, mid-interval both times.
            await UntilIntoSecondAsync(300);
            Deliver(before);
            awayAt = UnixTime.NowNs();
        }

        await Task.Delay(1_500);
        await using var after = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        var backAt = UnixTime.NowNs();
        uint id = 0;
        foreach (var symbol in symbols)
        {
            var history = (uint)Math.Min(1000, ((backAt - last[symbol] + Second - 1) / Second) + 1);
            var result = await after.SubscribeBarsAsync(new SubscribeBars { RequestId = ++id, Symbols = { symbol }, IntervalS = 1, History = history });
            Assert.Equal([symbol], result.Accepted);
        }

        await after.UntilAsync(() => symbols.All(s => after.Closed(s, 1).Any(b => b.Bar.StartNs >= OfflineBars.StartOf(backAt, 1) + Second)), "closed bars after the reconnect");
        Deliver(after);

        foreach (var symbol in symbols)
        {
            var starts = delivered[symbol].Select(b => b.StartNs).ToList();
            var expected = Enumerable.Range(0, (int)((starts[^1] - starts[0]) / Second) + 1).Select(i => starts[0] + (i * Second));
            Assert.True(expected.SequenceEqual(starts), $"{symbol}: delivered {string.Join(", ", starts.Select(s => (s - starts[0]) / Second))} (seconds after the first)");
            Assert.True(starts[0] < awayAt - Second && starts[^1] > backAt, $"{symbol}: the run spans the time away");
        }

        BarAssert.WellOrdered(after.Bars);
    }

    /// <summary>
    /// Trades at some 200 a second for 2.2 s: a client with throttle_ms 250 gets at most one bar-in-progress update per
    /// 250 ms (plus one), one without gets many more; both get the same closed bars, and the throttled one ends with the
    /// latest bar in progress.
    /// </summary>
    [Fact]
    public async Task AThrottleLimitsUpdatesOfTheBarInProgressButNotClosedBars()
    {
        const string Symbol = "HOT";
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, Symbol));
        await using var throttled = await BarClient.ConnectAsync(server.WsUri);
        await using var eager = await BarClient.ConnectAsync(server.WsUri);
        await throttled.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { Symbol }, IntervalS = 1, ThrottleMs = 250 });
        await eager.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { Symbol }, IntervalS = 1 });

        var volume = 1_000UL;
        source.PublishAt(Symbol, UnixTime.NowNs(), 10, volume);
        var startedAt = UnixTime.NowNs();
        var running = Stopwatch.StartNew();
        for (var i = 0; running.Elapsed < TimeSpan.FromSeconds(2.2); i++)
        {
            source.PublishAt(Symbol, UnixTime.NowNs(), 10 + (i % 13 * 0.01), volume += 5);
            await Task.Delay(5);
        }

        var endedAt = UnixTime.NowNs();
        await eager.UntilAsync(() => eager.Closed(Symbol, 1).Count >= 2, "closed bars");
        var closed = eager.Closed(Symbol, 1).Select(b => b.Bar).ToList();
        await throttled.UntilAsync(() => throttled.Closed(Symbol, 1).Count >= closed.Count, "the same closed bars, throttled");
        Assert.Equal(closed, throttled.Closed(Symbol, 1).Take(closed.Count).Select(b => b.Bar));
        await throttled.UntilAsync(
            () => throttled.InProgress(Symbol, 1) is { Count: > 0 } mine && eager.InProgress(Symbol, 1)[^1].Bar.Equals(mine[^1].Bar),
            "the throttled client's bar in progress catches up");

        int During(BarClient client) => client.InProgress(Symbol, 1).Count(b => b.AtNs >= startedAt && b.AtNs <= endedAt);
        // At most one a 250 ms from the first trade on (9 in 2.2 s), and one of slack for the edges of the window: far
        // below the unthrottled client's count.
        var limit = ((endedAt - startedAt) / 250_000_000) + 2;
        output.WriteLine($"in-progress updates in {(endedAt - startedAt) / 1e6:F0} ms: throttled {During(throttled)} (limit {limit}), unthrottled {During(eager)}; closed {closed.Count}");
        Assert.InRange(During(throttled), 1, limit);
        Assert.True(During(eager) > 2 * limit, $"unthrottled, {During(eager)} updates of the bar in progress");
        BarAssert.WellOrdered(throttled.Bars);
        BarAssert.WellOrdered(eager.Bars);
    }

    private static async Task UntilIntoSecondAsync(int milliseconds)
    {
        var intoSecond = (int)(UnixTime.NowNs() % Second / 1_000_000);
        await Task.Delay(((milliseconds - intoSecond) + 1_000) % 1_000);
    }
}
