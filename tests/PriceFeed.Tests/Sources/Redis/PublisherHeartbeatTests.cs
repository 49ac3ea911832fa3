using System.Collections.Concurrent;
using System.Diagnostics;
using PriceFeed.Protocol;
using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Server.Wire;
using PriceFeed.Simulation;
using PriceFeed.Simulator.Sinks;
using PriceFeed.Tests.Testing;
using StackExchange.Redis;
using static PriceFeed.Tests.Sources.Redis.BusTestKit;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>The publisher's own heartbeat (docs/scale-out.md, "Heartbeat and feed status"), as the real simulator and its
/// Redis sink write it; the node's side, with heartbeats the test writes, is in <see cref="RedisQuoteSourceTests"/>.</summary>
/// <remarks>The simulator and the sink run in this process, as the command line wires them: the command line cannot go
/// quiet (its rate is at least 1 quote a second and it exits at the end of <c>--duration</c>), while here the run ends
/// and the sink stays open with nothing to send, which is a quiet market.</remarks>
public sealed class PublisherHeartbeatTests
{
    [Fact]
    public async Task AQuietPublisherPublishesItsEpochAloneEverySecondAndWritesNothingToTheStreamOrTheCache()
    {
        using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectAsync(redis);
        var database = connection.GetDatabase();
        var received = new ConcurrentQueue<(long At, byte[] Message)>();
        await connection.GetSubscriber().SubscribeAsync(
            RedisChannel.Literal(RedisBus.QuotesChannel),
            (_, message) => received.Enqueue((Stopwatch.GetTimestamp(), (byte[])message!)));

        var options = new SimulatorOptions
        {
            Symbols = 5, Rate = 500, Duration = TimeSpan.FromSeconds(0.5), Seed = 8, PacingSlack = TimeSpan.FromMilliseconds(2),
        };
        var universe = SymbolUniverse.Create(options);
        using var sink = await RedisQuoteSink.StartAsync(redis.Endpoint, universe.Symbols, TimeSpan.FromSeconds(30), TextWriter.Null);
        using (var simulator = new QuoteSimulator(options, universe, sink))
        {
            simulator.Start();
            var completed = simulator.Completion.ContinueWith(run => run.IsCompletedSuccessfully, TaskScheduler.Default);
            Assert.True(await Eventually.WithinAsync(completed, "the simulator's run"), "the simulator's run failed");
            await Eventually.UntilAsync(
                () => sink.QuotesPublished == simulator.QuotesPublished && sink.QuotesDropped == 0,
                "Redis has accepted every quote of the run");
        }

        // From here on the publisher has nothing to send (the run's last entries may still be on their way to this
        // subscriber, so the quiet stretch starts at the first heartbeat).
        var quietFrom = Stopwatch.GetTimestamp();
        var streamLength = await database.StreamLengthAsync(RedisBus.StreamKey);
        var cacheLength = await database.HashLengthAsync(RedisBus.LastKey);
        Assert.True(streamLength > 0 && cacheLength == options.Symbols, $"the run wrote {streamLength} stream entries and {cacheLength} cache entries");

        const int Wanted = 4;
        List<(long At, byte[] Message)> quiet = [];
        await Eventually.UntilAsync(
            () => (quiet = received.Where(m => m.At > quietFrom).SkipWhile(m => !QuoteWireReader.IsHeartbeat(m.Message)).ToList()).Count >= Wanted,
            $"{Wanted} heartbeats on the channel while the publisher is quiet");

        foreach (var (_, message) in quiet)
        {
            Assert.True(QuoteWireReader.IsHeartbeat(message), "only heartbeats while quiet");
            var entry = BusEntry.Parser.ParseFrom(message);
            Assert.Equal(sink.Epoch, entry.Epoch);
            Assert.Equal(0ul, entry.IdMs);
            Assert.Equal(0ul, entry.PrevMs);
            Assert.True(entry.Batch.IsEmpty);
        }

        // One an interval: never faster (a late delivery may bring two closer, so the span of several is checked).
        var span = Stopwatch.GetElapsedTime(quiet[0].At, quiet[^1].At);
        var least = TimeSpan.FromMilliseconds(RedisBus.HeartbeatIntervalMs * (quiet.Count - 1)) - TimeSpan.FromMilliseconds(500);
        Assert.True(span >= least, $"{quiet.Count} heartbeats within {span.TotalMilliseconds:F0} ms");

        // Published only: the stream and the shared cache are as the run left them.
        Assert.Equal(streamLength, await database.StreamLengthAsync(RedisBus.StreamKey));
        Assert.Equal(cacheLength, await database.HashLengthAsync(RedisBus.LastKey));
    }
}
