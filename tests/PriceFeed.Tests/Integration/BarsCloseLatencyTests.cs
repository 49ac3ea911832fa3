using PriceFeed.Protocol.V1;
using PriceFeed.Server.Wire;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Integration;

/// <summary>Tests that time bars against the wall clock.</summary>
/// <remarks>They run alone, after the parallel tests: on a 2-core machine, CPU-heavy tests beside them would hold the
/// server's threads back and blur the timings they check.</remarks>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BarTiming
{
    public const string Name = "Bar close timing";
}

/// <summary>A closed bar reaches the client within 100 ms of its interval's end (docs/protocol.md, "Bars", 3).</summary>
[Collection(BarTiming.Name)]
public sealed class BarsCloseLatencyTests(ITestOutputHelper output)
{
    private const int Boundaries = 6;

    /// <summary>
    /// The simulator's 50 symbols at 1,000 quotes a second: some bars close by a trade just after the boundary, the rest
    /// (and flat ones) by the bar clock 20 ms after it. For each of six boundaries the latest of the closed bars counts.
    /// </summary>
    /// <remarks>The median must be under 100 ms; every one under 1 s only, since one stall of a loaded shared machine
    /// (a garbage collection, another build on both cores) can delay a single boundary without the server being wrong.</remarks>
    [Theory]
    [InlineData(null)]
    [InlineData(FeedSubprotocols.JsonV1)]
    public async Task AClosedBarArrivesWithin100MsOfItsBoundary(string? subprotocol)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await BarClient.ConnectAsync(server.WsUri, subprotocol);
        await client.SubscribeBarsAsync(new SubscribeBars { RequestId = 1, Symbols = { "*" }, IntervalS = 1 });
        var second = OfflineBars.Length(1);
        // The first bar that started after the subscription.
        var first = OfflineBars.StartOf(UnixTime.NowNs(), 1) + second;
        await client.UntilAsync(() => client.Bars.Any(b => b.Bar.Closed && b.Bar.StartNs >= first + ((Boundaries - 1) * second)), $"{Boundaries} boundaries");
        await Task.Delay(200);

        var closed = client.Bars.Where(b => b.Bar.Closed && b.Bar.StartNs >= first && b.Bar.StartNs < first + (Boundaries * second)).ToList();
        var latestMs = closed.GroupBy(b => b.Bar.StartNs).OrderBy(g => g.Key)
            .Select(g => g.Max(b => b.AtNs - (b.Bar.StartNs + second)) / 1e6).ToList();
        var firstMs = closed.GroupBy(b => b.Bar.StartNs).OrderBy(g => g.Key)
            .Select(g => g.Min(b => b.AtNs - (b.Bar.StartNs + second)) / 1e6).ToList();
        output.WriteLine($"{subprotocol ?? "proto"}: {closed.Count} closed bars of {closed.Select(b => b.Bar.Symbol).Distinct().Count()} symbols; per boundary, ms after it: latest {string.Join(", ", latestMs.Select(m => m.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}; earliest {string.Join(", ", firstMs.Select(m => m.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");

        Assert.Equal(Boundaries, latestMs.Count);
        Assert.All(closed, b => Assert.True(b.AtNs >= b.Bar.StartNs, "a bar closed before it began"));
        var median = latestMs.Order().ElementAt(Boundaries / 2);
        Assert.True(median < 100, $"median {median:F1} ms after the boundary: {string.Join(", ", latestMs)}");
        Assert.All(latestMs, ms => Assert.True(ms < 1_000, $"a boundary's last closed bar came {ms:F1} ms after it"));
        BarAssert.WellOrdered(client.Bars);
    }
}
