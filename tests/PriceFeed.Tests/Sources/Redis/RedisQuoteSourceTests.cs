using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Tests.Testing;
using StackExchange.Redis;
using static PriceFeed.Tests.Testing.BusWriter;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>The node's chain and seq rules, driven entry by entry through a real Redis: what goes into the ring and what does not.</summary>
public sealed class RedisQuoteSourceTests
{
    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);

    [Fact]
    public async Task HealsAGapFromTheSharedCacheAndDropsDuplicatesAndStaleQuotes()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await StartNodeAsync(redis);
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");
        var writer = new BusWriter(database, "pub-gap");

        await writer.SendAsync(Quote("AAA", 1), Quote("AAA", 2));
        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 2))), "the client holds AAA 2");

        // The publisher dropped the batches carrying AAA 3 to 9 and BBB 1 to 3 (its queue was full): the chain of
        // entries is whole, the seqs jump. It wrote the hash before its resync, as it does.
        await database.HashSetAsync(RedisBus.LastKey,
        [
            new HashEntry("AAA", Quote("AAA", 9).ToByteArray()),
            new HashEntry("BBB", Quote("BBB", 3).ToByteArray()),
        ]);
        await writer.PublishAsync(writer.Next(Quote("AAA", 5)).Bytes);

        // AAA 5 reveals the gap; the reconcile it causes brings AAA 9, and BBB 3, which no later message would have revealed.
        await Eventually.UntilAsync(
            () => client.Holds(Latest(Quote("AAA", 9), Quote("BBB", 3))),
            "the client holds AAA 9 and BBB 3 from the shared cache");
        Assert.Equal(1, bus.Gaps);
        Assert.True(bus.QuotesFromCache >= 2, $"{bus.QuotesFromCache} quotes from the cache");

        // A duplicate and a stale quote are dropped; the next one in order goes through.
        var staleBefore = bus.StaleQuotes;
        await writer.PublishAsync(writer.Next(Quote("AAA", 9), Quote("AAA", 4), Quote("AAA", 10)).Bytes);
        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 10))), "the client holds AAA 10");
        Assert.Equal(staleBefore + 2, bus.StaleQuotes);
        Assert.Equal(1, bus.Gaps);
        client.ThrowIfFailed();
    }

    [Fact]
    public async Task CatchesUpFromTheStreamOnABreakAndSkipsWhatItAlreadyApplied()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        // drop with a queue that holds the whole catch-up: every update reaches the client (conflate would merge them).
        await using var node = await TestServer.StartAsync(options => options with
        {
            Source = QuoteSourceKind.Redis, Redis = redis.Endpoint, Policy = SlowConsumerPolicy.Drop, QueueCapacity = 1 << 14,
        });
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await FeedClient.ConnectAsync(node.WsUri);
        await client.ReadHelloAsync();
        var writer = new BusWriter(connection.GetDatabase(), "pub-catch-up");
        var record = new SeqRecord();
        await SubscribeAllAsync(client);

        await writer.SendAsync(Quote("AAA", 1));
        // Three pages' worth of entries the node never sees on the channel, then one it does: it reads them all, in order.
        ulong seq = 1;
        for (var i = 0; i < (3 * RedisQuoteSource.CatchUpPageSize) + 7; i++)
        {
            await writer.StreamOnlyAsync(Quote("AAA", ++seq));
        }

        var (lastId, last) = writer.Next(Quote("AAA", ++seq));
        await writer.AppendAsync(lastId, last);
        await writer.PublishAsync(last);
        // The same entry again, as a node receives it live after a catch-up already read it.
        await writer.PublishAsync(last);
        await writer.SendAsync(Quote("AAA", ++seq));

        await record.ReadUntilAsync(client, () => record.Last("AAA") == seq);
        Assert.Equal(Enumerable.Range(1, (int)seq).Select(i => (ulong)i), record.Seqs("AAA"));
        await Eventually.UntilAsync(() => bus.EntriesSkipped >= 1, "the entry received twice was skipped");
        Assert.Equal(0, bus.Gaps);
        Assert.Equal(0, bus.EntriesLost);
        Assert.True(bus.CatchUps >= 1);
    }

    [Fact]
    public async Task WhenTheStreamNoLongerHoldsWhatWasMissedReloadsTheCacheAndContinues()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await StartNodeAsync(redis);
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");
        var writer = new BusWriter(database, "pub-trimmed");

        await writer.SendAsync(Quote("AAA", 1));
        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 1))), "the client holds AAA 1");
        // Missed, then trimmed away: AAA 2 and BBB 1; only the hash still has them.
        var trimmed = await writer.StreamOnlyAsync(Quote("AAA", 2), Quote("BBB", 1));
        await database.StreamDeleteAsync(RedisBus.StreamKey, [trimmed.ToString()]);
        await writer.SendAsync(Quote("AAA", 3));

        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("AAA", 3), Quote("BBB", 1))), "the client holds AAA 3 and BBB 1 from the cache");
        Assert.Equal(1, bus.EntriesLost);
        client.ThrowIfFailed();
    }

    [Fact]
    public async Task ANewEpochIsAnnouncedAndItsSeqsStartAgainWithoutBeingHeldBackAsStale()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await StartNodeAsync(redis);
        var source = node.Server.Source;
        await using var client = await FeedClient.ConnectAsync(node.WsUri);
        var hello = await client.ReadHelloAsync();
        Assert.Equal(("", 0u), (hello.Epoch, hello.ResumeDepth));
        await SubscribeAllAsync(client);
        var record = new SeqRecord();

        var one = new BusWriter(database, "pub-one");
        for (ulong seq = 1; seq <= 5; seq++)
        {
            await one.SendAsync(Quote("AAA", seq));
        }

        await record.ReadUntilAsync(client, () => record.Last("AAA") == 5);
        Assert.Equal(["pub-one"], record.Hellos);
        // The restarted publisher: another epoch, ids above the stream's, seqs from 1 again.
        var two = new BusWriter(database, "pub-two", one.Last.Ms + 1);
        await two.SendAsync(Quote("AAA", 1));
        await two.SendAsync(Quote("AAA", 2));

        await record.ReadUntilAsync(client, () => record.Hellos.Count == 2 && record.Last("AAA") == 2);
        Assert.Equal(["pub-one", "pub-two"], record.Hellos);
        // From 1, or from the snapshot that follows the new hello: every seq of the new epoch after it.
        BusTestKit.AssertEverySeq(record, "AAA", 2);
        Assert.Equal("pub-two", source.Epoch.Current);
        Assert.Equal(0, Assert.IsAssignableFrom<IBusStatus>(source).StaleQuotes);
    }

    [Fact]
    public async Task CountsAMessageThatIsNotABusEntryAndKeepsGoing()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var database = connection.GetDatabase();
        await using var node = await StartNodeAsync(redis);
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");

        await database.PublishAsync(s_channel, new byte[] { 0x0A, 0x7F, 0x01 });
        await new BusWriter(database, "pub-ok").SendAsync(Quote("OK", 1));

        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("OK", 1))), "the client holds the good quote after the bad message");
        Assert.Equal(1, bus.Malformed);
    }

    [Fact]
    public async Task StartsWithoutRedisAndSubscribesWhenItComes()
    {
        using var redis = RedisServer.NotStarted();
        await using var node = await StartNodeAsync(redis);
        // Nothing hangs: the source gave up its bounded connect attempt and declared itself ready (serving from its own
        // cache) rather than leaving the server to wait out its start-up timeout. No wall-clock bound: the machine is shared.
        Assert.True(node.Server.Source.Ready.IsCompletedSuccessfully, "the bus source did not become ready without Redis");
        var bus = Assert.IsAssignableFrom<IBusStatus>(node.Server.Source);
        Assert.False(bus.IsUp);
        await using var client = await LiveClient.ConnectAsync(node.WsUri, "*");

        await redis.RestartAsync();
        await Eventually.UntilAsync(() => bus.IsUp, "the node subscribes once Redis is there", TimeSpan.FromSeconds(30));
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        await new BusWriter(connection.GetDatabase(), "pub-late").SendAsync(Quote("LATE", 1));

        await Eventually.UntilAsync(() => client.Holds(Latest(Quote("LATE", 1))), "the client gets the first quote on the bus");
    }

    [Fact]
    public async Task ANodeWithoutItsBusTellsClientsTheFeedIsStaleThenLiveWithTheFirstEntry()
    {
        using var redis = RedisServer.NotStarted();
        await using var node = await StartNodeAsync(redis);
        await Eventually.UntilAsync(() => !node.Server.Source.Status.Current.Live, "the node says its feed is stale");
        var client = await FeedClient.ConnectAsync(node.WsUri);
        await using var _ = client;

        // docs/protocol.md, "Feed status": hello, then the status, for a client connecting while stale.
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, (await client.ReceiveAsync()).BodyCase);
        var stale = await client.ReceiveAsync();
        Assert.Equal(("stale", "bus_down"), (stale.Status?.State, stale.Status?.Reason));
        await SubscribeAllAsync(client);

        await using var watcher = await LiveClient.ConnectAsync(node.WsUri, "*");
        await redis.RestartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        await Eventually.UntilAsync(() => Assert.IsAssignableFrom<IBusStatus>(node.Server.Source).IsUp, "the node subscribes", TimeSpan.FromSeconds(30));
        await new BusWriter(connection.GetDatabase(), "pub-back").SendAsync(Quote("BACK", 1));
        await Eventually.UntilAsync(() => watcher.Holds(Latest(Quote("BACK", 1))), "the first quote after the bus came back");

        // The first client hears live (ahead of the quotes that flow again, docs/protocol.md "Feed status").
        using var deadline = Eventually.Deadline();
        ServerMessage message;
        do
        {
            message = await client.ReceiveAsync().WaitAsync(deadline.Token);
        }
        while (message.BodyCase is not (ServerMessage.BodyOneofCase.Status or ServerMessage.BodyOneofCase.Quotes));

        Assert.Equal(("live", ""), (message.Status?.State, message.Status?.Reason));
        Assert.True(node.Server.Source.Status.Current.Live);
    }

    [Fact]
    public async Task AQuietPublisherThatSendsHeartbeatsIsLiveAndASilentOneIsStale()
    {
        using var redis = await RedisServer.StartAsync();
        await using var node = await StartNodeAsync(redis);
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var writer = new BusWriter(connection.GetDatabase(), "pub-quiet");
        await writer.SendAsync(Quote("QUIET", 1));
        await Eventually.UntilAsync(() => node.Server.Source.Epoch.Current == "pub-quiet", "the node follows the publisher");

        // A quiet market: no quote for 4 s, a heartbeat every 500 ms; the feed stays live all along.
        var heartbeat = new PriceFeed.Protocol.Bus.V1.BusEntry { Epoch = "pub-quiet" }.ToByteArray();
        for (var i = 0; i < 8; i++)
        {
            await writer.PublishAsync(heartbeat);
            await Task.Delay(500);
            Assert.True(node.Server.Source.Status.Current.Live, $"stale after {(i + 1) * 500} ms of heartbeats");
        }

        // Silence, not even a heartbeat: stale, publisher_silent, after the silence allowance.
        await Eventually.UntilAsync(() => !node.Server.Source.Status.Current.Live, "the node says its publisher went silent");
        Assert.Equal(RedisQuoteSource.StalePublisherSilent, node.Server.Source.Status.Current.Reason);
        Assert.Equal(0, Assert.IsAssignableFrom<IBusStatus>(node.Server.Source).Malformed);

        // A heartbeat again: live.
        await writer.PublishAsync(heartbeat);
        await Eventually.UntilAsync(() => node.Server.Source.Status.Current.Live, "live again with the next heartbeat");
    }

    private static Task<TestServer> StartNodeAsync(RedisServer redis) =>
        TestServer.StartAsync(options => options with { Source = QuoteSourceKind.Redis, Redis = redis.Endpoint });

    private static async Task SubscribeAllAsync(FeedClient client)
    {
        await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });
        var answer = await client.ReceiveSkippingStatusAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
    }

    private static Dictionary<string, Quote> Latest(params Quote[] quotes) => quotes.ToDictionary(q => q.Symbol, StringComparer.Ordinal);
}
