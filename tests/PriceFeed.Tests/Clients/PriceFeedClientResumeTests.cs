using System.Collections.Concurrent;
using PriceFeed.Client;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;
using Quote = PriceFeed.Client.Quote;

namespace PriceFeed.Tests.Clients;

/// <summary>The C# client's resume requests and epoch handling, against a peer whose hello, recovered list and
/// quotes the test writes (docs/clients.md, "Resume").</summary>
public sealed class PriceFeedClientResumeTests
{
    private const string Epoch = "run-1";

    [Fact]
    public async Task ResumesFromTheLastSeqsOfTheSameEpochAndReportsRecoveredAndSnapshottedSymbols()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer, Hello(Epoch, resumeDepth: 100));
        var first = await session.SubscribeAsync("AAA", "BBB");
        Assert.Empty(first.Resume);
        Assert.Equal("", first.Epoch);
        await session.Connection.SendAsync(Snapshot(("AAA", 5), ("BBB", 7)));
        await session.Connection.SendAsync(Quotes(("AAA", 6)));
        await session.ReadAsync(("AAA", 5), ("BBB", 7), ("AAA", 6));

        var resubscribe = await session.ReconnectAsync(Hello(Epoch, resumeDepth: 100));

        Assert.Equal(["AAA", "BBB"], resubscribe.Symbols.Order());
        Assert.Equal(new Dictionary<string, ulong> { ["AAA"] = 6, ["BBB"] = 7 }, resubscribe.Resume);
        Assert.Equal(Epoch, resubscribe.Epoch);

        await session.Connection.SendAsync(Result(resubscribe, recovered: ["AAA"]));
        await session.Connection.SendAsync(Snapshot(("BBB", 12)));
        await session.Connection.SendAsync(Quotes(("AAA", 7), ("AAA", 8)));
        await session.ReadAsync(("BBB", 12), ("AAA", 7), ("AAA", 8));
        var resumed = await session.NextResumedAsync();
        Assert.Equal(Epoch, resumed.Epoch);
        Assert.False(resumed.EpochChanged);
        Assert.Equal(["AAA"], resumed.Recovered);
        Assert.Equal(["BBB"], resumed.Snapshotted);
    }

    [Theory]
    [InlineData("", 100)]      // the server names no epoch: it offers no resume
    [InlineData(Epoch, 0)]     // the same epoch, but the server keeps no history
    public async Task SendsNoResumeToAServerThatOffersNone(string epoch, uint resumeDepth)
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer, Hello(epoch, resumeDepth));
        await session.SubscribeAsync("AAA");
        await session.Connection.SendAsync(Snapshot(("AAA", 5)));
        await session.ReadAsync(("AAA", 5));

        var resubscribe = await session.ReconnectAsync(Hello(epoch, resumeDepth));

        Assert.Empty(resubscribe.Resume);
        Assert.Equal("", resubscribe.Epoch);
        // As before resume existed: the snapshot repeats what was delivered and the seq guard passes over it.
        await session.Connection.SendAsync(Result(resubscribe, recovered: []));
        await session.Connection.SendAsync(Snapshot(("AAA", 5)));
        await session.Connection.SendAsync(Quotes(("AAA", 6)));
        await session.ReadAsync(("AAA", 6));
        Assert.Equal(["AAA"], (await session.NextResumedAsync()).Snapshotted);
    }

    [Fact]
    public async Task StartsTheSeqGuardAgainWhenTheServerNamesANewEpochOnReconnect()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer, Hello(Epoch, resumeDepth: 100));
        await session.SubscribeAsync("AAA");
        await session.Connection.SendAsync(Snapshot(("AAA", 500)));
        await session.ReadAsync(("AAA", 500));

        var resubscribe = await session.ReconnectAsync(Hello("run-2", resumeDepth: 100));

        Assert.Empty(resubscribe.Resume);
        Assert.Equal("", resubscribe.Epoch);
        await session.Connection.SendAsync(Result(resubscribe, recovered: []));
        await session.Connection.SendAsync(Snapshot(("AAA", 3)));
        await session.Connection.SendAsync(Quotes(("AAA", 4)));
        // Seqs of the new epoch are far below the old ones: delivered, not held back as stale.
        await session.ReadAsync(("AAA", 3), ("AAA", 4));
        var resumed = await session.NextResumedAsync();
        Assert.True(resumed.EpochChanged);
        Assert.Equal("run-2", resumed.Epoch);
        Assert.Empty(resumed.Recovered);
        Assert.Equal(["AAA"], resumed.Snapshotted);
        Assert.Equal(0, session.Client.QuotesIgnoredAsStale);

        // The next reconnect resumes in the new epoch, from the new seqs.
        var next = await session.ReconnectAsync(Hello("run-2", resumeDepth: 100));
        Assert.Equal(new Dictionary<string, ulong> { ["AAA"] = 4 }, next.Resume);
        Assert.Equal("run-2", next.Epoch);
    }

    [Fact]
    public async Task StartsTheSeqGuardAgainWhenANewEpochIsAnnouncedMidConnection()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer, Hello(Epoch, resumeDepth: 100));
        await session.SubscribeAsync("*");
        await session.Connection.SendAsync(Snapshot(("AAA", 900), ("BBB", 800)));
        await session.ReadAsync(("AAA", 900), ("BBB", 800));

        // docs/clients.md, "Resume": a restarted source makes the server send a fresh hello, then a snapshot.
        await session.Connection.SendAsync(new ServerMessage { Hello = Hello("run-2", resumeDepth: 100) });
        await session.Connection.SendAsync(Snapshot(("AAA", 1), ("BBB", 1)));
        await session.Connection.SendAsync(Quotes(("AAA", 2)));

        await session.ReadAsync(("AAA", 1), ("BBB", 1), ("AAA", 2));
        var resumed = await session.NextResumedAsync();
        Assert.True(resumed.EpochChanged);
        Assert.Equal(["AAA", "BBB"], resumed.Snapshotted.Order());
        Assert.Equal("run-2", session.Client.Server!.Epoch);
    }

    [Fact]
    public async Task SendsNoResumeWhenResumeOnReconnectIsOff()
    {
        await using var peer = ScriptedFeedPeer.Start();
        await using var session = await Session.StartAsync(peer, Hello(Epoch, resumeDepth: 100), resumeOnReconnect: false);
        await session.SubscribeAsync("AAA");
        await session.Connection.SendAsync(Snapshot(("AAA", 5)));
        await session.ReadAsync(("AAA", 5));

        var resubscribe = await session.ReconnectAsync(Hello(Epoch, resumeDepth: 100));

        Assert.Empty(resubscribe.Resume);
    }

    private static Hello Hello(string epoch, uint resumeDepth) => new()
    {
        ServerId = "scripted",
        Protocol = "pricefeed.v1.proto",
        // Long enough that the client's dead-connection check never fires during a test.
        HeartbeatIntervalMs = 60_000,
        MaxSymbolsPerClient = 1000,
        SlowConsumerPolicy = "conflate",
        Epoch = epoch,
        ResumeDepth = resumeDepth,
    };

    private static ServerMessage Result(Subscribe request, IEnumerable<string> recovered)
    {
        var result = new PriceFeed.Protocol.V1.SubscribeResult { RequestId = request.RequestId };
        result.Accepted.AddRange(request.Symbols);
        result.Recovered.AddRange(recovered);
        return new ServerMessage { SubscribeResult = result };
    }

    private static ServerMessage Snapshot(params (string Symbol, ulong Seq)[] quotes) => new() { Snapshot = Batch(quotes) };

    private static ServerMessage Quotes(params (string Symbol, ulong Seq)[] quotes) => new() { Quotes = Batch(quotes) };

    private static QuoteBatch Batch((string Symbol, ulong Seq)[] quotes)
    {
        var batch = new QuoteBatch();
        batch.Quotes.AddRange(quotes.Select(q => new PriceFeed.Protocol.V1.Quote { Symbol = q.Symbol, Seq = q.Seq, Bid = 1, Ask = 2 }));
        return batch;
    }

    /// <summary>A client connected to the peer, its reader and its <see cref="PriceFeedClient.Resumed"/> events.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly ScriptedFeedPeer _peer;
        private readonly ConcurrentQueue<ResumedEventArgs> _resumed = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly IAsyncEnumerator<Quote> _reader;

        private Session(ScriptedFeedPeer peer, PriceFeedClient client, ScriptedFeedPeer.Connection connection)
        {
            _peer = peer;
            Client = client;
            Connection = connection;
            client.Resumed += (_, e) => _resumed.Enqueue(e);
            _reader = client.ReadQuotesAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        }

        public PriceFeedClient Client { get; }

        public ScriptedFeedPeer.Connection Connection { get; private set; }

        public static async Task<Session> StartAsync(ScriptedFeedPeer peer, Hello hello, bool resumeOnReconnect = true)
        {
            var connecting = PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
            {
                Url = peer.WsUri,
                ReconnectDelay = TimeSpan.FromMilliseconds(20),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(50),
                ResumeOnReconnect = resumeOnReconnect,
            });
            var connection = await peer.AcceptAsync();
            await connection.SendAsync(new ServerMessage { Hello = hello });
            return new Session(peer, await Eventually.WithinAsync(connecting, "the client to connect"), connection);
        }

        /// <summary>Subscribes, answers with every symbol accepted and returns the request the peer received.</summary>
        public async Task<Subscribe> SubscribeAsync(params string[] symbols)
        {
            var subscribing = Client.SubscribeAsync(symbols);
            var request = (await Connection.ReceiveAsync()).Subscribe;
            Assert.NotNull(request);
            await Connection.SendAsync(Result(request, recovered: []));
            await Eventually.WithinAsync(subscribing, "the subscribe answer");
            return request;
        }

        /// <summary>Closes the current connection, accepts the client's next one with <paramref name="hello"/>, and
        /// returns its re-subscribe (unanswered).</summary>
        public async Task<Subscribe> ReconnectAsync(Hello hello)
        {
            await Connection.GoAwayAsync();
            Connection = await _peer.AcceptAsync();
            await Connection.SendAsync(new ServerMessage { Hello = hello });
            var request = (await Connection.ReceiveAsync()).Subscribe;
            Assert.NotNull(request);
            return request;
        }

        /// <summary>Reads exactly the given quotes, in order.</summary>
        public async Task ReadAsync(params (string Symbol, ulong Seq)[] expected)
        {
            foreach (var (symbol, seq) in expected)
            {
                Assert.True(await Eventually.WithinAsync(_reader.MoveNextAsync().AsTask(), $"{symbol} seq {seq}"));
                Assert.Equal((symbol, seq), (_reader.Current.Symbol, _reader.Current.Seq));
            }
        }

        public async Task<ResumedEventArgs> NextResumedAsync()
        {
            ResumedEventArgs? resumed = null;
            await Eventually.UntilAsync(() => _resumed.TryDequeue(out resumed), "the Resumed event");
            return resumed!;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reader.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
                // Stopped, as asked.
            }

            // The client's close handshake needs the peer's answer, which nobody reads here: do not wait for it long.
            await Client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            _stop.Dispose();
        }
    }
}
