using System.Globalization;
using System.Text.Json;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Tests.Testing;
using StackExchange.Redis;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>What the scale-out tests share: nodes fed by a real Redis, the real publisher (the simulator's command line)
/// as a child process stopped by PID, and the shared cache the publisher leaves behind.</summary>
internal static class BusTestKit
{
    /// <summary>Long enough for a publisher that waits for Redis to come back at the end of its run.</summary>
    public static readonly TimeSpan PublisherTimeout = TimeSpan.FromSeconds(90);

    public static Task<TestServer> StartNodeAsync(RedisServer redis, Func<FeedServerOptions, FeedServerOptions>? configure = null) =>
        TestServer.StartAsync(options => (configure ?? (o => o))(options with { Source = QuoteSourceKind.Redis, Redis = redis.Endpoint }));

    /// <summary>A node whose clients get every update: <c>drop</c> with a queue that holds whole catch-ups.</summary>
    /// <param name="endpoint">Where the node reaches Redis, when not directly (a <see cref="TcpRelay"/>).</param>
    public static Task<TestServer> StartLosslessNodeAsync(RedisServer redis, string? endpoint = null) =>
        StartNodeAsync(redis, options => options with
        {
            Redis = endpoint ?? redis.Endpoint, Policy = SlowConsumerPolicy.Drop, QueueCapacity = 1 << 18, ResumeDepth = 4096,
        });

    public static ExternalProcess StartPublisher(RedisServer redis, int symbols, int rate, int seconds, params string[] more) =>
        ExternalProcess.Start(ServerProcess.DotnetHost,
        [
            RepositoryPaths.SimulatorDll,
            "--redis", redis.Endpoint,
            "--symbols", symbols.ToString(CultureInfo.InvariantCulture),
            "--rate", rate.ToString(CultureInfo.InvariantCulture),
            "--duration", seconds.ToString(CultureInfo.InvariantCulture),
            "--seed", "8",
            // Sleep rather than spin between quotes: the machine is shared.
            "--pacing-slack-ms", "2",
            .. more,
        ]);

    public static Task<ConnectionMultiplexer> ConnectAsync(RedisServer redis) =>
        ConnectionMultiplexer.ConnectAsync(redis.Endpoint);

    /// <summary>The source's latest quote of every symbol, as the publisher left it in Redis.</summary>
    public static async Task<Dictionary<string, Quote>> ReadSharedCacheAsync(RedisServer redis)
    {
        using var connection = await ConnectAsync(redis);
        var entries = await connection.GetDatabase().HashGetAllAsync(RedisBus.LastKey);
        return entries.ToDictionary(e => e.Name.ToString(), e => Quote.Parser.ParseFrom((byte[])e.Value!), StringComparer.Ordinal);
    }

    public static string? BusState(TestServer node)
    {
        using var health = JsonDocument.Parse(node.HttpClient.GetStringAsync(new Uri("healthz", UriKind.Relative)).GetAwaiter().GetResult());
        Assert.Equal("serving", health.RootElement.GetProperty("status").GetString());
        return health.RootElement.GetProperty("bus").GetString();
    }

    public static async Task<SubscribeResult> SubscribeAsync(FeedClient client, Subscribe request)
    {
        await client.SendAsync(new ClientMessage { Subscribe = request });
        var answer = await Eventually.WithinAsync(client.ReceiveSkippingStatusAsync(), "subscribe_result");
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
        return answer.SubscribeResult;
    }

    /// <summary>Asserts that a symbol's record is exactly the publisher's seqs from where it started (1, or the snapshot's
    /// seq) to <paramref name="final"/>: every seq, no gap, no duplicate.</summary>
    public static void AssertEverySeq(SeqRecord record, string symbol, ulong final, ulong? after = null, string? detail = null)
    {
        var seqs = record.Seqs(symbol);
        if (after is null && record.FromSnapshot.Contains(symbol) && seqs.Count > 1 && seqs[1] == seqs[0])
        {
            // The fan-out, not the bus: a quote landing while the subscribe reads its snapshot may be both in the snapshot
            // and offered live (QuoteFanoutHandler.Process), and under drop both reach the client, rarely. The bus's own
            // exactness is checked on the node's counters (no stale quote, no gap).
            seqs = seqs.Skip(1).ToList();
        }

        var first = after is { } resumed ? resumed + 1 : record.FromSnapshot.Contains(symbol) ? seqs[0] : 1;
        Assert.True(final >= first, $"{symbol}: starts at {first}, past the publisher's last {final}");
        var expected = Enumerable.Range(0, (int)(final - first + 1)).Select(i => first + (ulong)i).ToList();
        if (!expected.SequenceEqual(seqs))
        {
            var missing = expected.Except(seqs).Take(10);
            Assert.Fail($"{symbol}: {seqs.Count} seqs, expected {expected.Count} from {first} to {final}; missing e.g. [{string.Join(", ", missing)}], duplicates {seqs.Count - seqs.Distinct().Count()} (first seqs: {string.Join(", ", seqs.Take(4))}{(record.FromSnapshot.Contains(symbol) ? ", the first from the snapshot" : "")}); {detail}");
        }
    }
}
