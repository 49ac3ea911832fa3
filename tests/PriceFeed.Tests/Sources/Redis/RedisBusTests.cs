using PriceFeed.Protocol;
using PriceFeed.Tests.Testing;
using static PriceFeed.Tests.Sources.Redis.BusTestKit;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>Scale-out through a real Redis: the real publisher (the simulator's command line), nodes fed by the bus, real clients.</summary>
/// <remarks>
/// Nodes run in this process (<see cref="TestServer"/> with <c>--source redis</c>); Redis and the publisher are
/// child processes stopped by PID. The publisher runs for a fixed duration, so the bus goes quiet and
/// convergence can be checked against the source's final quotes, read from the shared cache in Redis.
/// Light on purpose (50 symbols, a few thousand quotes/s): the machine is shared.
/// </remarks>
public sealed class RedisBusTests
{
    private const int Symbols = 50;

    /// <summary>Reconnecting to a restarted Redis takes the client a retry interval or a few.</summary>
    private static readonly TimeSpan s_busTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TwoNodesServeTheSameQuotesWithTheSameSeq()
    {
        using var redis = await RedisServer.StartAsync();
        await using var nodeA = await StartNodeAsync(redis);
        await using var nodeB = await StartNodeAsync(redis);
        await using var clientA = await LiveClient.ConnectAsync(nodeA.WsUri, "*");
        await using var clientB = await LiveClient.ConnectAsync(nodeB.WsUri, "*");

        using var publisher = StartPublisher(redis, rate: 5_000, seconds: 3);
        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);

        var final = await ReadSharedCacheAsync(redis);
        Assert.Equal(Symbols, final.Count);
        await Eventually.UntilAsync(
            () => clientA.Holds(final) && clientB.Holds(final),
            $"clients of both nodes hold the source's final quote of every symbol (A: {clientA.Differences(final)} B: {clientB.Differences(final)})");
        Assert.True(clientA.Quotes > Symbols && clientB.Quotes > Symbols, "Both clients received live quotes, not only the last ones.");
    }

    [Fact]
    public async Task NodeStartedMidStreamServesCompleteSnapshotsAtOnce()
    {
        using var redis = await RedisServer.StartAsync();
        using var publisher = StartPublisher(redis, rate: 2_000, seconds: 6);
        using var connection = await ConnectAsync(redis);
        var database = connection.GetDatabase();
        await Eventually.UntilAsync(
            () => !publisher.HasExited && database.HashLength(RedisBus.LastKey) == Symbols,
            "the publisher, still running, has a quote of every symbol in the shared cache");

        await using var node = await StartNodeAsync(redis);
        var symbols = (await database.SetMembersAsync(RedisBus.SymbolsKey)).Select(s => s.ToString()).ToArray();
        Assert.Equal(Symbols, symbols.Length);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, symbols);

        await Eventually.UntilAsync(() => client.FirstSnapshot is not null, "the snapshot arrives");
        Assert.Equal(symbols.Order(StringComparer.Ordinal), client.FirstSnapshot!.Quotes.Select(q => q.Symbol).Order(StringComparer.Ordinal));
        Assert.All(client.FirstSnapshot.Quotes, q => Assert.True(q.Seq > 0));

        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);
        var final = await ReadSharedCacheAsync(redis);
        await Eventually.UntilAsync(() => client.Holds(final), $"the client holds the source's final quotes ({client.Differences(final)})");
    }

    [Fact]
    public async Task NodesKeepServingWhileRedisIsDownAndConvergeAfterItRestarts()
    {
        using var redis = await RedisServer.StartAsync();
        await using var nodeA = await StartNodeAsync(redis);
        await using var nodeB = await StartNodeAsync(redis);
        await using var clientA = await LiveClient.ConnectAsync(nodeA.WsUri, "*");
        await using var clientB = await LiveClient.ConnectAsync(nodeB.WsUri, "*");
        using var publisher = StartPublisher(redis, rate: 2_000, seconds: 12);
        // Every symbol has had a quote (the least active ones take a while), so every one is in the nodes' caches.
        await Eventually.UntilAsync(
            () => clientA.SymbolsHeld == Symbols && clientB.SymbolsHeld == Symbols,
            "both clients have received quotes of every symbol");

        redis.Kill();
        await Eventually.UntilAsync(() => BusState(nodeA) == "down" && BusState(nodeB) == "down", "both nodes report the bus down", s_busTimeout);
        // Still serving: a client arriving now gets every symbol from the node's own cache.
        await using (var during = await LiveClient.ConnectAsync(nodeA.WsUri, "*"))
        {
            await Eventually.UntilAsync(() => during.SymbolsHeld == Symbols, "a client connecting while Redis is down gets a snapshot of every symbol");
        }

        await redis.RestartAsync();
        await Eventually.UntilAsync(() => BusState(nodeA) == "up" && BusState(nodeB) == "up", "both nodes report the bus up again", s_busTimeout);
        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);
        Assert.Contains("cache resyncs", publisher.Output, StringComparison.Ordinal);

        var final = await ReadSharedCacheAsync(redis);
        Assert.Equal(Symbols, final.Count);
        await Eventually.UntilAsync(
            () => clientA.Holds(final) && clientB.Holds(final),
            $"clients of both nodes converge after the restart (A: {clientA.Differences(final)} B: {clientB.Differences(final)})");
    }

    private static ExternalProcess StartPublisher(RedisServer redis, int rate, int seconds) =>
        BusTestKit.StartPublisher(redis, Symbols, rate, seconds);
}
