using System.Globalization;
using PriceFeed.Client;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Clients;

/// <summary>The C# client's bars against a real server process (docs/clients.md, "Bars"): history, the bar in progress,
/// closed bars, and a network cut after which every closed bar is still read exactly once, with no gap.</summary>
public sealed class PriceFeedClientBarsTests
{
    private const int Interval = 1;
    private const long IntervalNs = Interval * 1_000_000_000L;

    // 500 ms heartbeats: a dead connection is found in about 1.5 s instead of 45 s.
    private const string HeartbeatMs = "500";

    [Theory]
    [InlineData(PriceFeedSubprotocol.Proto)]
    [InlineData(PriceFeedSubprotocol.Json)]
    public async Task ReceivesTheHistoryThenTheBarInProgressThenEachBarClosed(PriceFeedSubprotocol subprotocol)
    {
        using var server = await StartServerAsync(seed: 21);
        var symbols = await server.SymbolsAsync();
        // A first client reads bars until every symbol has closed a few: the history the second one asks for.
        await using var early = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri, Subprotocol = subprotocol });
        await early.SubscribeBarsAsync(["*"], Interval);
        await using var earlyBars = new BarRecorder(early);
        await Eventually.UntilAsync(() => earlyBars.FewestClosed(symbols, Interval) >= 3, "3 closed bars of every symbol", detail: () => server.Output);

        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri, Subprotocol = subprotocol });
        var result = await client.SubscribeBarsAsync([.. symbols, "NO.SUCH"], Interval, history: 2);
        await using var bars = new BarRecorder(client);
        await Eventually.UntilAsync(() => bars.FewestClosed(symbols, Interval) >= 4 && bars.All.Any(b => !b.Closed),
            "the history, bars in progress and 2 more closed bars of every symbol", detail: () => server.Output);

        Assert.Equal(symbols, result.Accepted);
        Assert.Equal([new SymbolRejection("NO.SUCH", "unknown_symbol")], result.Rejected);
        Assert.Empty(bars.Violations);
        Assert.Empty(earlyBars.Violations);
        foreach (var symbol in symbols)
        {
            // The history is the first client's closed bars, the same values; then both read the same closed bars.
            var read = bars.Closed(symbol, Interval);
            var earlier = earlyBars.Closed(symbol, Interval).ToDictionary(b => b.StartNs);
            Assert.All(read.Take(2), bar => Assert.Equal(earlier[bar.StartNs], bar));
            Assert.All(read, bar => Assert.True(bar.Low <= Math.Min(bar.Open, bar.Close) && bar.High >= Math.Max(bar.Open, bar.Close), $"{bar}"));
            Assert.Equal(read[0].StartNs / IntervalNs * IntervalNs, read[0].StartNs);
        }

        // The bar in progress of a symbol comes before it closes, and trades move volume.
        Assert.Contains(bars.All, b => !b.Closed && b.Volume > 0);
        // Start is the bar's start_ns as UTC time: the simulator stamps quotes with this machine's clock.
        var start = bars.All.First().Start;
        Assert.Equal(TimeSpan.Zero, start.Offset);
        Assert.InRange(start, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.Empty(client.Subscriptions);
    }

    [Theory]
    [InlineData(PriceFeedSubprotocol.Proto)]
    [InlineData(PriceFeedSubprotocol.Json)]
    public async Task ReadsEveryClosedBarExactlyOnceInOrderAcrossANetworkCut(PriceFeedSubprotocol subprotocol)
    {
        using var server = await StartServerAsync(seed: 23);
        var symbols = await server.SymbolsAsync();
        await using var relay = new TcpRelay(server.Port);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = relay.WsUri,
            Subprotocol = subprotocol,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        });
        await client.SubscribeBarsAsync(["*"], Interval, history: 1);
        await using var bars = new BarRecorder(client);
        await Eventually.UntilAsync(() => bars.FewestClosed(symbols, Interval) >= 2, "2 closed bars of every symbol", detail: () => server.Output);

        // Cut off mid-interval (the simulator stamps quotes with this machine's clock) for more than two intervals: bars
        // close on the server meanwhile, and the one in progress at the cut closes while the client is away.
        await Eventually.UntilAsync(() => DateTime.UtcNow.Millisecond is >= 400 and < 600, "the middle of an interval");
        var cutAt = DateTime.UtcNow;
        var closedAtCut = symbols.ToDictionary(s => s, s => bars.Closed(s, Interval).Count);
        relay.Cut();
        await Eventually.UntilAsync(() => bars.States.Contains(ConnectionState.Reconnecting), "the client notices the cut", detail: () => server.Output);
        await Eventually.UntilAsync(() => DateTime.UtcNow - cutAt > TimeSpan.FromSeconds(2.5), "2.5 s cut off");
        relay.Restore();

        await Eventually.UntilAsync(
            () => client.State == ConnectionState.Connected && symbols.All(s => bars.Closed(s, Interval).Count >= closedAtCut[s] + 5),
            "5 more closed bars of every symbol after the cut", detail: () => server.Output);
        Assert.Empty(bars.Violations);
        foreach (var symbol in symbols)
        {
            var starts = bars.Closed(symbol, Interval).Select(b => b.StartNs).ToList();
            Assert.Equal(starts.Distinct().Count(), starts.Count);
            Assert.All(starts.Zip(starts.Skip(1)), pair => Assert.Equal(IntervalNs, pair.Second - pair.First));
        }

        // The history asked for after the reconnect overlapped what was read, and the overlap was dropped.
        Assert.True(client.BarsIgnoredAsStale > 0, "the re-subscribe's history overlapped");
    }

    /// <summary>A server with 5 symbols that trade often: 1 s bars fill at once.</summary>
    private static Task<ServerProcess> StartServerAsync(int seed) => ServerProcess.StartOnPortAsync(ServerProcess.FreePort(),
        "--symbols", "5", "--rate", "200", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", HeartbeatMs);
}
