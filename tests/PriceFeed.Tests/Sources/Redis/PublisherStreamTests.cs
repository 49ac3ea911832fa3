using System.Text.RegularExpressions;
using PriceFeed.Protocol;
using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;
using StackExchange.Redis;
using static PriceFeed.Tests.Sources.Redis.BusTestKit;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>What the real publisher writes to the stream, read back with the generated <c>BusEntry</c> parser: the
/// hand-written envelope, the chain of ids, the epochs of two sessions, and the trimming by time.</summary>
public sealed partial class PublisherStreamTests
{
    private const int Symbols = 20;

    [GeneratedRegex("^pub-[0-9a-z]+-[0-9a-f]{8}$")]
    private static partial Regex EpochPattern();

    [Fact]
    public async Task EachSessionWritesAWholeChainOfEntriesUnderItsOwnEpochAboveTheStreamsLastId()
    {
        using var redis = await RedisServer.StartAsync();
        using (var first = StartPublisher(redis, Symbols, rate: 2_000, seconds: 2))
        {
            Assert.True(await first.WaitForExitAsync(PublisherTimeout) == 0, first.Output);
            Assert.Contains("dropped 0 quotes", first.Output, StringComparison.Ordinal);
        }

        var one = await ReadStreamAsync(redis);
        var final = await ReadSharedCacheAsync(redis);
        AssertOneSession(one);
        // The stream holds every batch of the session: every symbol's seqs from 1 to its final one, in order.
        var seqs = one.SelectMany(e => QuoteBatch.Parser.ParseFrom(e.Entry.Batch).Quotes).GroupBy(q => q.Symbol);
        foreach (var symbol in seqs)
        {
            Assert.Equal(Enumerable.Range(1, (int)final[symbol.Key].Seq).Select(i => (ulong)i), symbol.Select(q => q.Seq));
        }

        using (var second = StartPublisher(redis, Symbols, rate: 2_000, seconds: 1))
        {
            Assert.True(await second.WaitForExitAsync(PublisherTimeout) == 0, second.Output);
        }

        var both = await ReadStreamAsync(redis);
        var two = both.Skip(one.Count).ToList();
        Assert.Equal(one.Select(e => e.Id), both.Take(one.Count).Select(e => e.Id));
        AssertOneSession(two);
        Assert.NotEqual(one[0].Entry.Epoch, two[0].Entry.Epoch);
        Assert.True(two[0].Id > one[^1].Id);
    }

    [Fact]
    public async Task TheStreamKeepsAboutTheBusHistory()
    {
        using var redis = await RedisServer.StartAsync();
        using (var publisher = StartPublisher(redis, Symbols, rate: 2_000, seconds: 4, "--bus-history", "1"))
        {
            Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);
        }

        var entries = await ReadStreamAsync(redis);
        var span = entries[^1].Id.Ms - entries[0].Id.Ms;
        // MINID ~ trims whole nodes of the stream (100 entries each by default), so a little more than 1 s stays.
        Assert.True(span is >= 900 and <= 2_000, $"the stream spans {span} ms with --bus-history 1");
        using var connection = await ConnectAsync(redis);
        Assert.True(await connection.GetDatabase().StreamLengthAsync(RedisBus.StreamKey) > entries.Count / 2);
    }

    [Fact]
    public async Task APublisherWhoseIdsTheStreamRefusesMovesAboveTheStreamsTopAndGoesOn()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectAsync(redis);
        var database = connection.GetDatabase();
        using var publisher = StartPublisher(redis, Symbols, rate: 1_000, seconds: 4);
        await Eventually.UntilAsync(async () => await database.StreamLengthAsync(RedisBus.StreamKey) > 0, "the publisher writes to the stream");

        // Another writer puts an entry 10 s ahead of the publisher's clock: its next XADDs are refused.
        var ahead = new BusEntryId((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10_000, 5);
        await database.StreamAddAsync(RedisBus.StreamKey, RedisBus.EntryField, "not a bus entry", ahead.ToString());
        Assert.True(await publisher.WaitForExitAsync(PublisherTimeout) == 0, publisher.Output);

        var after = (await ReadStreamAsync(redis, ahead)).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, e => Assert.True(e.Id > ahead));
        Assert.Matches(@"[1-9][0-9,]* cache resyncs", publisher.Output);
    }

    private static void AssertOneSession(List<(BusEntryId Id, BusEntry Entry)> entries)
    {
        Assert.NotEmpty(entries);
        Assert.Matches(EpochPattern(), entries[0].Entry.Epoch);
        var previous = BusEntryId.None;
        foreach (var (id, entry) in entries)
        {
            Assert.Equal(entries[0].Entry.Epoch, entry.Epoch);
            Assert.Equal(id, new BusEntryId(entry.IdMs, entry.IdSeq));
            Assert.Equal(previous, new BusEntryId(entry.PrevMs, entry.PrevSeq));
            Assert.NotEmpty(QuoteBatch.Parser.ParseFrom(entry.Batch).Quotes);
            previous = id;
        }
    }

    private static async Task<List<(BusEntryId Id, BusEntry Entry)>> ReadStreamAsync(RedisServer redis, BusEntryId? after = null)
    {
        using var connection = await ConnectAsync(redis);
        var entries = await connection.GetDatabase().StreamRangeAsync(RedisBus.StreamKey, after is { } id ? "(" + id : "-", "+");
        return [.. entries.Select(e =>
        {
            Assert.True(BusEntryId.TryParse(e.Id, out var id));
            return (id, BusEntry.Parser.ParseFrom((byte[])e[RedisBus.EntryField]!));
        })];
    }
}
