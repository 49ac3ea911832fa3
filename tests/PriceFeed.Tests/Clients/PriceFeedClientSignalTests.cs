using System.Collections.Concurrent;
using System.Diagnostics;
using PriceFeed.Client;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Clients;

/// <summary>The signals a server sends a C# client about its connection (docs/clients.md, "Signals"), through a real
/// server and a relay that can stall the path between them.</summary>
public sealed class PriceFeedClientSignalTests
{
    [Fact]
    public async Task AClientStalledForHalfTheGraceIsWarnedThenClearedWhenItCatchesUpAndStaysConnected()
    {
        await using var server = await TestServer.StartAsync(options => options with
        {
            Symbols = 20, Rate = 20_000, SlowConsumerGraceMs = 3_000,
        });
        await using var relay = new TcpRelay(server.Port);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = relay.WsUri });
        var warnings = new ConcurrentQueue<SlowConsumerEventArgs>();
        client.SlowConsumerWarning += (_, e) => warnings.Enqueue(e);
        await using var recorder = new QuoteRecorder(client);
        await client.SubscribeAsync("*");
        await Eventually.UntilAsync(() => recorder.Count > 1_000, "quotes flowing");

        // The path stalls: the server's socket fills, and half the grace later it warns (the warning waits in the path).
        relay.Stall();
        await Eventually.UntilAsync(() => server.Server.Metrics.SlowConsumerWarnings.WithLabels("warned").Value >= 1, "the server's warning");
        relay.Unstall();

        await Eventually.UntilAsync(() => warnings.Count == 2, "the warning, then cleared");
        var (warned, cleared) = (warnings.First(), warnings.Last());
        Assert.False(warned.Cleared);
        // At least half the grace ahead, whichever came first: the queue past half its bound or half the grace.
        Assert.InRange(warned.CloseIn, TimeSpan.FromMilliseconds(1_500), TimeSpan.FromMilliseconds(3_000));
        Assert.True(warned.Queued > 0 && warned.Limit > 0, $"queued {warned.Queued} of {warned.Limit}");
        Assert.True(cleared.Cleared);
        Assert.Equal(0, server.Server.Metrics.SlowConsumerCloses.Value);
        Assert.False(recorder.Saw(ConnectionState.Reconnecting), "the client never lost its connection");
        Assert.Empty(recorder.Violations);
    }

    [Fact]
    public async Task AfterAGoAwayTheClientWaitsAtLeastTheHintThenReconnectsAndRaisesGoingAway()
    {
        await using var peer = ScriptedFeedPeer.Start();
        var connecting = PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = peer.WsUri, ReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(50),
        });
        var first = await peer.AcceptAsync();
        await first.SendAsync(new ServerMessage { Hello = new Hello { Epoch = "e", HeartbeatIntervalMs = 15_000 } });
        await using var client = await Eventually.WithinAsync(connecting, "the client to connect");
        var goingAway = new ConcurrentQueue<GoingAwayEventArgs>();
        client.GoingAway += (_, e) => goingAway.Enqueue(e);

        // The server says: come back in 1.5 s, then closes 1001. The client's own backoff alone would be 20-50 ms.
        await first.SendAsync(new ServerMessage { GoAway = new GoAway { ReconnectAfterMs = 1_500, Reason = "restart" } });
        await Eventually.UntilAsync(() => goingAway.Count == 1, "the GoingAway event");
        var closedAt = Stopwatch.GetTimestamp();
        await first.GoAwayAsync();
        var second = await peer.AcceptAsync();
        var waited = Stopwatch.GetElapsedTime(closedAt);
        await second.SendAsync(new ServerMessage { Hello = new Hello { Epoch = "e", HeartbeatIntervalMs = 15_000 } });

        var hint = Assert.Single(goingAway);
        Assert.Equal((TimeSpan.FromMilliseconds(1_500), "restart"), (hint.ReconnectAfter, hint.Reason));
        // At least the hint (the jitter and a loaded machine add to it: no upper bound on shared cores).
        Assert.True(waited >= TimeSpan.FromMilliseconds(1_500), $"reconnected after {waited.TotalMilliseconds:F0} ms, before the hint's 1,500");
        await Eventually.UntilAsync(() => client.State == ConnectionState.Connected, "connected again");
    }

    [Fact]
    public async Task TheClientRaisesFeedStatusChangedWhenTheSourceGoesStaleAndLiveAgain()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, "AAA"));
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = server.WsUri });
        var statuses = new ConcurrentQueue<FeedStatusEventArgs>();
        client.FeedStatusChanged += (_, e) => statuses.Enqueue(e);
        Assert.True(client.FeedStatus.Live);

        source.ChangeStatus(live: false, "bus_down");
        await Eventually.UntilAsync(() => statuses.Count == 1, "the stale status");
        Assert.Equal((false, "bus_down"), (client.FeedStatus.Live, client.FeedStatus.Reason));
        Assert.True(client.FeedStatus.Since > DateTimeOffset.UtcNow.AddMinutes(-1), $"since {client.FeedStatus.Since}");

        source.ChangeStatus(live: true);
        await Eventually.UntilAsync(() => statuses.Count == 2, "the live status");
        Assert.True(client.FeedStatus.Live);
        Assert.Equal([false, true], statuses.Select(s => s.Live));
    }
}
