using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;
using PriceFeed.Tests.Integration;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;
using static PriceFeed.Tests.Sources.Redis.BusTestKit;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>Bars behind one Redis (docs/scale-out.md; docs/protocol.md, "Bars"): every node computes them from the
/// quotes' source times, so two nodes fed by the same publisher serve the same bars.</summary>
public sealed class BarsBusTests(ITestOutputHelper output)
{
    private const long Second = 1_000_000_000;

    /// <summary>
    /// The real publisher at 2,000 quotes a second over 20 symbols for 8 s; a client on each of two nodes takes the 1 s
    /// bars of every symbol. Every closed bar that starts once both clients had been subscribed for a whole second is
    /// the same on both nodes, field by field, and each node's are consecutive.
    /// </summary>
    [Fact]
    public async Task TwoNodesBehindOneRedisServeTheSameBars()
    {
        using var redis = await RedisServer.StartAsync();
        await using var nodeA = await StartNodeAsync(redis);
        await using var nodeB = await StartNodeAsync(redis);
        using var publisher = StartPublisher(redis, symbols: 20, rate: 2_000, seconds: 8);
        await Eventually.UntilAsync(
            () => nodeA.Server.Source.Epoch.Current.StartsWith("pub-", StringComparison.Ordinal) && nodeB.Server.Source.Epoch.Current.StartsWith("pub-", StringComparison.Ordinal)
                && nodeA.Server.Source.Published > 1_000 && nodeB.Server.Source.Published > 1_000,
            "both nodes serve the publisher's epoch");

        await using var onA = await BarClient.ConnectAsync(nodeA.WsUri);
        await using var onB = await BarClient.ConnectAsync(nodeB.WsUri, "pricefeed.v1.json");
        await onA.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "*" }, IntervalS = 1 });
        await onB.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "*" }, IntervalS = 1 });
        var from = OfflineBars.StartOf(UnixTime.NowNs(), 1) + Second;
        var through = from + (3 * Second);
        await onA.UntilAsync(() => onA.Bars.Any(b => b.Bar.Closed && b.Bar.StartNs >= through), "node A's closed bars");
        await onB.UntilAsync(() => onB.Bars.Any(b => b.Bar.Closed && b.Bar.StartNs >= through), "node B's closed bars");
        // A bar closed by the clock on one node may have closed by a trade a little later on the other: wait for both.
        await Task.Delay(500);

        Dictionary<(string, long), Bar> Closed(BarClient client) =>
            client.Bars.Where(b => b.Bar.Closed && b.Bar.StartNs >= from && b.Bar.StartNs <= through).ToDictionary(b => (b.Bar.Symbol, b.Bar.StartNs), b => b.Bar);
        var a = Closed(onA);
        var b = Closed(onB);
        output.WriteLine($"{a.Count} closed bars on A, {b.Count} on B, of {a.Keys.Select(k => k.Item1).Distinct().Count()} symbols, from {from} through {through}");
        Assert.True(a.Count >= 20 * 4, $"{a.Count} closed bars on A: every symbol traded?");
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (key, bar) in a)
        {
            Assert.True(bar.Equals(b[key]), $"{key}: node A {bar}, node B {b[key]}");
        }

        BarAssert.WellOrdered(onA.Bars);
        BarAssert.WellOrdered(onB.Bars);
        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);
    }
}
