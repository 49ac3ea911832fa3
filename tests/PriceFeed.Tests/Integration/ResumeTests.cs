using System.Net.WebSockets;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Quotes;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Resume with a real server and real WebSocket clients (docs/protocol.md, "Resume"): a client that
/// reconnects continues every symbol's seqs with no gap and no duplicate, or gets a snapshot.</summary>
public sealed class ResumeTests
{
    private static readonly string[] s_symbols = ["AAA", "BBB"];

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "pricefeed.v1.json")]
    [InlineData(true, "pricefeed.v1.json")]
    public async Task AClientThatReconnectsWithResumeContinuesEverySeqWithNoGapAndNoDuplicate(bool drop, string? subprotocol)
    {
        var policy = drop ? SlowConsumerPolicy.Drop : SlowConsumerPolicy.Conflate;
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(
            options => options with { Policy = policy }, ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        var (first, hello) = await ConnectAsync(server, subprotocol);
        Assert.Equal(source.Epoch.Current, hello.Epoch);
        Assert.Equal(1024u, hello.ResumeDepth);
        var held = new SeqRecord();
        await using (first)
        {
            await SubscribeAsync(first, new Subscribe { RequestId = 1, Symbols = { s_symbols } });
            PublishRound(source, 3);
            await held.ReadUntilAsync(first, () => held.Last("AAA") == 3 && held.Last("BBB") == 3);
        }

        // Away: 50 updates of each symbol the client does not see.
        PublishRound(source, 50);
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(1) == 53, "the server holds BBB 53");

        var (second, again) = await ConnectAsync(server, subprotocol);
        await using var _ = second;
        var request = new Subscribe { RequestId = 2, Symbols = { s_symbols }, Epoch = again.Epoch, Resume = { ["AAA"] = 3, ["BBB"] = 3 } };
        var result = await SubscribeAsync(second, request);
        // Live quotes while the replay is on its way.
        PublishRound(source, 10);
        var resumed = new SeqRecord();
        await resumed.ReadUntilAsync(second, () => resumed.Last("AAA") == 63 && resumed.Last("BBB") == 63);

        Assert.Equal(s_symbols, result.Recovered.Order());
        Assert.Equal(0, resumed.Snapshots);
        foreach (var symbol in s_symbols)
        {
            Assert.Equal(Enumerable.Range(4, 60).Select(i => (ulong)i), resumed.Seqs(symbol));
        }
    }

    [Theory]
    [InlineData("another-epoch", 3ul, 1024)]
    [InlineData("", 3ul, 1024)]
    [InlineData(null, 3ul, 16)]
    [InlineData(null, 99ul, 1024)]
    [InlineData(null, 3ul, 0)]
    public async Task AResumeWithAnotherEpochTooOldOrInTheFutureGetsASnapshot(string? epoch, ulong resumeSeq, int depth)
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(
            options => options with { ResumeDepth = depth }, ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        PublishRound(source, 53);
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(1) == 53, "the server holds BBB 53");

        var (client, hello) = await ConnectAsync(server, null);
        await using var _ = client;
        Assert.Equal((uint)depth, hello.ResumeDepth);
        var request = new Subscribe { RequestId = 2, Symbols = { s_symbols }, Epoch = epoch ?? hello.Epoch, Resume = { ["AAA"] = resumeSeq } };
        var result = await SubscribeAsync(client, request);
        var snapshot = await client.ReceiveAsync();

        Assert.Empty(result.Recovered);
        Assert.Equal(ServerMessage.BodyOneofCase.Snapshot, snapshot.BodyCase);
        Assert.Equal([("AAA", 53ul), ("BBB", 53ul)], snapshot.Snapshot.Quotes.Select(q => (q.Symbol, q.Seq)).Order());
    }

    [Fact]
    public async Task ASourceWithAnEmptyEpochOffersNoDepthAndRecoversNothing()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(
            s =>
            {
                source = s;
                s.Epoch = new SourceEpoch("");
            },
            s_symbols));
        PublishRound(source, 5);
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(1) == 5, "the server holds BBB 5");

        var (client, hello) = await ConnectAsync(server, null);
        await using var _ = client;
        var result = await SubscribeAsync(client, new Subscribe { RequestId = 1, Symbols = { "AAA" }, Epoch = "", Resume = { ["AAA"] = 3 } });
        var snapshot = await client.ReceiveAsync();

        Assert.Equal(("", 0u), (hello.Epoch, hello.ResumeDepth));
        Assert.Empty(result.Recovered);
        Assert.Equal(("AAA", 5ul), snapshot.Snapshot.Quotes.Select(q => (q.Symbol, q.Seq)).Single());
    }

    [Fact]
    public async Task EachSimulatorRunHasItsOwnEpoch()
    {
        await using var one = await TestServer.StartAsync();
        await using var two = await TestServer.StartAsync();
        var (a, helloA) = await FeedClient.ConnectAndReadHelloAsync(one.WsUri);
        await using var _a = a;
        var (b, helloB) = await FeedClient.ConnectAndReadHelloAsync(two.WsUri);
        await using var _b = b;

        Assert.NotEmpty(helloA.Epoch);
        Assert.NotEqual(helloA.Epoch, helloB.Epoch);
    }

    [Theory]
    [InlineData("drop", 5_000, 1_000)]
    [InlineData("drop", 10_000, 2_000)]
    public async Task AClientAwayFromTheSimulatorResumesEverySymbolWithNoGap(string policy, int rate, int awayMs)
    {
        // A queue big enough for the whole replay (every update missed counts against it) and a history deep enough
        // for the busiest symbol's updates while away: every update is delivered. Under conflate a replay this large
        // (20,000 updates) fills the socket, and the live updates that arrive meanwhile conflate, as that policy says:
        // a lossless resume at this scale takes drop and a big queue (docs/protocol.md, "Resume").
        await using var server = await TestServer.StartAsync(options => options with
        {
            Symbols = 100, Rate = rate, Policy = Enum.Parse<SlowConsumerPolicy>(policy, ignoreCase: true), QueueCapacity = 1 << 16, ResumeDepth = 4096,
        });
        var (first, hello) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        var held = new SeqRecord();
        await using (first)
        {
            await SubscribeAsync(first, new Subscribe { RequestId = 1, Symbols = { "*" } });
            var until = DateTime.UtcNow.AddMilliseconds(500);
            await held.ReadUntilAsync(first, () => DateTime.UtcNow > until);
        }

        await Task.Delay(awayMs);
        var (second, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _s = second;
        var request = new Subscribe { RequestId = 2, Symbols = { "*" }, Epoch = hello.Epoch };
        foreach (var symbol in held.Symbols)
        {
            request.Resume[symbol] = held.Last(symbol);
        }

        var result = await SubscribeAsync(second, request);
        var resumed = new SeqRecord();
        var end = DateTime.UtcNow.AddMilliseconds(500);
        await resumed.ReadUntilAsync(second, () => DateTime.UtcNow > end);

        Assert.Equal(held.Symbols.Order(), result.Recovered.Order());
        foreach (var symbol in held.Symbols)
        {
            var seqs = resumed.Seqs(symbol);
            Assert.True(seqs.Count > 0, $"{symbol}: nothing after the resume");
            Assert.Equal(Enumerable.Range((int)held.Last(symbol) + 1, seqs.Count).Select(i => (ulong)i), seqs);
        }
    }

    [Fact]
    public async Task AResumeNamingUnknownOrUnsubscribedSymbolsIsAnsweredAsASubscribeIs()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        PublishRound(source, 5);
        await Eventually.UntilAsync(() => server.Server.Cache.LatestSeq(1) == 5, "the server holds BBB 5");
        var (client, hello) = await ConnectAsync(server, null);
        await using var _ = client;

        // ZZZ is subscribed but unknown; QQQ is only in the resume map (never subscribed): it is ignored.
        var result = await SubscribeAsync(client, new Subscribe
        {
            RequestId = 1, Symbols = { "AAA", "ZZZ" }, Epoch = hello.Epoch, Resume = { ["AAA"] = 3, ["ZZZ"] = 1, ["QQQ"] = 2 },
        });
        var replay = await client.ReceiveAsync();

        Assert.Equal(["AAA"], result.Accepted);
        Assert.Equal(("ZZZ", "unknown_symbol"), result.Rejected.Select(r => (r.Symbol, r.Reason)).Single());
        Assert.Equal(["AAA"], result.Recovered);
        Assert.Equal([4ul, 5ul], replay.Quotes.Quotes.Select(q => q.Seq));
    }

    [Fact]
    public async Task AHugeResumeMapMeetsTheMessageSizeLimitAndHarmsNoOtherClient()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        PublishRound(source, 5);
        var (bystander, hello) = await ConnectAsync(server, null);
        await using var _b = bystander;
        await SubscribeAsync(bystander, new Subscribe { RequestId = 1, Symbols = { "AAA" } });

        // Under the 64 KiB limit: 3,000 bogus entries cost a lookup each for the subscribed symbols only.
        var (under, _) = await ConnectAsync(server, null);
        await using var _u = under;
        var request = new Subscribe { RequestId = 1, Symbols = { "AAA" }, Epoch = hello.Epoch, Resume = { ["AAA"] = 4 } };
        for (var i = 0; i < 3_000; i++)
        {
            request.Resume[$"X{i:D5}"] = (ulong)i;
        }

        var result = await SubscribeAsync(under, request);
        Assert.Equal(["AAA"], result.Recovered);

        // Over it: closed 1009 like any message over --max-message-bytes.
        var (over, _) = await ConnectAsync(server, null);
        await using var _o = over;
        var huge = new Subscribe { RequestId = 1, Symbols = { "AAA" }, Epoch = hello.Epoch };
        for (var i = 0; i < 20_000; i++)
        {
            huge.Resume[$"X{i:D5}"] = (ulong)i;
        }

        await over.SendAsync(new ClientMessage { Subscribe = huge });
        var (status, _) = await Eventually.WithinAsync(over.ReceiveCloseAsync(), "the close of the huge resume");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);

        // The bystander still gets quotes.
        source.PublishBatch(s_symbols);
        while (true)
        {
            var message = await Eventually.WithinAsync(bystander.ReceiveAsync(), "the bystander's next quote");
            if (message.BodyCase == ServerMessage.BodyOneofCase.Quotes && message.Quotes.Quotes.Any(q => q.Seq == 6))
            {
                break;
            }
        }
    }

    private static async Task<(FeedClient Client, Hello Hello)> ConnectAsync(TestServer server, string? subprotocol)
    {
        var client = await FeedClient.ConnectAsync(server.WsUri, subprotocol);
        return (client, await client.ReadHelloAsync());
    }

    private static async Task<SubscribeResult> SubscribeAsync(FeedClient client, Subscribe request)
    {
        await client.SendAsync(new ClientMessage { Subscribe = request });
        var answer = await Eventually.WithinAsync(client.ReceiveSkippingStatusAsync(), "subscribe_result");
        Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
        return answer.SubscribeResult;
    }

    private static void PublishRound(ScriptedQuoteSource source, int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            source.PublishBatch(s_symbols);
        }
    }
}
