using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Tests.Testing;
using StackExchange.Redis;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>The node's seq rule, driven message by message through a real Redis: what goes into the ring and what does not.</summary>
public sealed class RedisQuoteSourceTests
{
    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);

    private static Quote Quote(string symbol, ulong seq) => new() { Symbol = symbol, Seq = seq, Bid = seq, Ask = seq + 0.5 };

    private static Task<long> PublishAsync(IDatabase database, params Quote[] quotes) =>
        database.PublishAsync(s_channel, new QuoteBatch { Quotes = { quotes } }.ToByteArray());

    [Fact]
    public async Task HealsAGapFromTheSharedCacheAndDropsDuplicatesAndStaleQuotes()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await TestServer.StartAsync(options => options with { Source = QuoteSourceKind.Redis, Redis = redis.Endpoint });
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");

        await PublishAsync(database, Quote("AAA", 1), Quote("AAA", 2));
        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 2))), "the client holds AAA 2");

        // Messages carrying AAA 3 to 9 and BBB 1 to 3 are lost; the publisher wrote the hash before each, as it does.
        await database.HashSetAsync(RedisBus.LastKey,
        [
            new HashEntry("AAA", Quote("AAA", 9).ToByteArray()),
            new HashEntry("BBB", Quote("BBB", 3).ToByteArray()),
        ]);
        await PublishAsync(database, Quote("AAA", 5));

        // AAA 5 reveals the gap; the reconcile it causes brings AAA 9, and BBB 3, which no later message would have revealed.
        await Eventually.UntilAsync(
            () => client.Holds(Latest(Quote("AAA", 9), Quote("BBB", 3))),
            "the client holds AAA 9 and BBB 3 from the shared cache");
        Assert.Equal(1, bus.Gaps);
        Assert.True(bus.QuotesFromCache >= 2, $"{bus.QuotesFromCache} quotes from the cache");

        // A duplicate and a stale quote are dropped; the next one in order goes through.
        var staleBefore = bus.StaleQuotes;
        await PublishAsync(database, Quote("AAA", 9), Quote("AAA", 4), Quote("AAA", 10));
        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 10))), "the client holds AAA 10");
        Assert.Equal(staleBefore + 2, bus.StaleQuotes);
        Assert.Equal(1, bus.Gaps);
        client.ThrowIfFailed();
    }

    [Fact]
    public async Task CountsAMessageThatIsNotAQuoteBatchAndKeepsGoing()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await TestServer.StartAsync(options => options with { Source = QuoteSourceKind.Redis, Redis = redis.Endpoint });
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");

        await database.PublishAsync(s_channel, new byte[] { 0x0A, 0x7F, 0x01 });
        await PublishAsync(database, Quote("OK", 1));

        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("OK", 1))), "the client holds the good quote after the bad message");
        Assert.Equal(1, bus.Malformed);
    }

    [Fact]
    public async Task StartsWithoutRedisAndSubscribesWhenItComes()
    {
        using var redis = RedisServer.NotStarted();
        await using var node = await TestServer.StartAsync(options => options with { Source = QuoteSourceKind.Redis, Redis = redis.Endpoint });
        // Nothing hangs: the source gave up its bounded connect attempt and declared itself ready (serving from its own
        // cache) rather than leaving the server to wait out its start-up timeout. No wall-clock bound: the machine is shared.
        Assert.True(node.Server.Source.Ready.IsCompletedSuccessfully, "the bus source did not become ready without Redis");
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        Assert.False(bus.IsUp);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");

        await redis.RestartAsync();
        await Eventually.UntilAsync(() => bus.IsUp, "the node subscribes once Redis is there", TimeSpan.FromSeconds(30));
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        await PublishAsync(connection.GetDatabase(), Quote("LATE", 1));

        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("LATE", 1))), "the client gets the first quote on the bus");
    }

    private static Dictionary<string, Quote> Latest(params Quote[] quotes) => quotes.ToDictionary(q => q.Symbol, StringComparer.Ordinal);
}
