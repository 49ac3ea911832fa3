using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Fanout;

/// <summary>Resume through the fan-out core (docs/protocol.md, "Resume"): no gap, no duplicate, or a snapshot.</summary>
public sealed class ResumeTests
{
    private const string S0 = "S0";
    private const string S1 = "S1";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReplaysExactlyTheMissedUpdatesThenLiveOnesWithNoSnapshotEntry(bool dropOldest)
    {
        using var harness = new FanoutHarness(dropOldest: dropOldest, resumeDepth: 64);
        var held = Away(harness, missed: 20);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, symbols: [S0, S1]);
        client.DrainAndRead();
        for (var i = 0; i < 5; i++)
        {
            harness.Publish(0);
        }

        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        Assert.DoesNotContain(client.Messages, m => m.Snapshot?.Quotes.Any(q => q.Symbol == S0) == true);
        Assert.Contains(client.Messages, m => m.Snapshot?.Quotes.Any(q => q.Symbol == S1) == true);
        AssertContinues(client, S0, held, harness.SourceSeq(0));
    }

    [Fact]
    public void GivesASnapshotWhenTheMissedUpdatesAreOlderThanTheHistory()
    {
        using var harness = new FanoutHarness(resumeDepth: 8);
        var held = Away(harness, missed: 20);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, symbols: [S0]);
        client.DrainAndRead();

        Assert.Empty(result.Recovered);
        Assert.Equal([harness.SourceSeq(0)], client.Received[S0]);
    }

    [Theory]
    [InlineData("another-epoch")]
    [InlineData("")]
    public void GivesASnapshotForAnotherEpoch(string epoch)
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        var held = Away(harness, missed: 5);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, epoch, symbols: [S0]);
        client.DrainAndRead();

        Assert.Empty(result.Recovered);
        Assert.Equal([harness.SourceSeq(0)], client.Received[S0]);
    }

    [Fact]
    public void RecoversNothingWhenTheServersEpochIsEmpty()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        var held = Away(harness, missed: 5);
        using var client = harness.Connect();
        var request = new Subscribe { RequestId = 1, Epoch = "" };
        request.Symbols.Add(S0);
        request.Resume.Add(S0, held);
        var snapshot = new List<PriceFeed.Server.Fanout.SymbolSubscription>();
        var result = harness.Service.Subscribe(client.Session, request, snapshot);

        var replays = harness.Service.Resume(client.Session, request, epoch: "", snapshot, result);

        Assert.Empty(replays);
        Assert.Empty(result.Recovered);
        Assert.Single(snapshot);
    }

    [Fact]
    public void GivesASnapshotForASeqInTheFuture()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        Away(harness, missed: 5);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = harness.SourceSeq(0) + 1 }, symbols: [S0]);
        client.DrainAndRead();

        Assert.Empty(result.Recovered);
        Assert.Equal([harness.SourceSeq(0)], client.Received[S0]);
    }

    [Fact]
    public void RecoversWithNothingToSendAtTheLatestSeq()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        Away(harness, missed: 5);
        var latest = harness.SourceSeq(0);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = latest }, symbols: [S0]);
        client.DrainAndRead();
        harness.Publish(0);
        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        Assert.Equal([latest + 1], client.Received[S0]);
    }

    [Fact]
    public void GivesASnapshotWhenTheReplayWouldPassTheQueueBound()
    {
        using var harness = new FanoutHarness(dropOldest: true, queueCapacity: 8, resumeDepth: 64);
        var held = Away(harness, missed: 6, symbols: [0, 1]);

        using var client = harness.Connect();
        // 6 for S0 fit in 8; S1's 6 more would not: S1 gets a snapshot.
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held, [S1] = held }, symbols: [S0, S1]);
        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        AssertContinues(client, S0, held, harness.SourceSeq(0));
        Assert.Equal([harness.SourceSeq(1)], client.Received[S1]);
    }

    [Fact]
    public void IgnoresAResumedSymbolThatIsNotSubscribed()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        var held = Away(harness, missed: 5, symbols: [0, 1]);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S1] = held, ["NOPE"] = 1 }, symbols: [S0]);
        client.DrainAndRead();

        Assert.Empty(result.Recovered);
        Assert.False(client.Received.ContainsKey(S1));
    }

    [Fact]
    public void ResumesSymbolsCoveredByTheWildcard()
    {
        using var harness = new FanoutHarness(symbols: 4, resumeDepth: 64);
        var held = Away(harness, missed: 7, symbols: [0, 1]);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held, [S1] = held }, symbols: ["*", S0]);
        client.DrainAndRead();
        harness.PublishBatch(0, 1, 2);
        client.DrainAndRead();

        Assert.Equal([S0, S1], result.Recovered.Order());
        AssertContinues(client, S0, held, harness.SourceSeq(0));
        AssertContinues(client, S1, held, harness.SourceSeq(1));
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void SendsTheReplayWholeUnderAThrottle()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        var held = Away(harness, missed: 10);

        using var client = harness.Connect();
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, throttleMs: 60_000, symbols: [S0]);
        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        AssertContinues(client, S0, held, harness.SourceSeq(0));
        harness.Publish(0);
        harness.Publish(0);
        client.DrainAndRead();
        // Live updates after the replay are throttled as usual: conflated, never older than the replay.
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void ResumesAJsonClient()
    {
        using var harness = new FanoutHarness(resumeDepth: 64);
        var held = Away(harness, missed: 9);

        using var client = harness.Connect(json: true);
        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, symbols: [S0]);
        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        Assert.True(client.TextFrames > 0);
        AssertContinues(client, S0, held, harness.SourceSeq(0));
    }

    [Theory]
    [InlineData(false, 0, 1)]
    [InlineData(false, 1, 0)]
    [InlineData(false, 3, 3)]
    [InlineData(false, 200, 0)]
    [InlineData(false, 0, 200)]
    [InlineData(true, 0, 1)]
    [InlineData(true, 1, 0)]
    [InlineData(true, 3, 3)]
    [InlineData(true, 40, 40)]
    public void LiveQuotesLandingDuringTheResumeLeaveNoGapAndNoDuplicate(bool dropOldest, int afterRegistry, int beforeReplay)
    {
        using var harness = new FanoutHarness(dropOldest: dropOldest, resumeDepth: 512);
        var held = Away(harness, missed: 10);

        using var client = harness.Connect();
        var result = client.Resume(
            new Dictionary<string, ulong> { [S0] = held },
            afterRegistry: () => PublishMany(harness, afterRegistry),
            beforeReplay: () => PublishMany(harness, beforeReplay),
            symbols: [S0]);
        client.DrainAndRead();
        PublishMany(harness, 3);
        client.DrainAndRead();

        Assert.Equal([S0], result.Recovered);
        Assert.Empty(client.Violations);
        var received = client.Received[S0];
        Assert.Equal(harness.SourceSeq(0), received[^1]);
        if (dropOldest || afterRegistry + beforeReplay < 128)
        {
            // Every update, in order (conflate may conflate only past its FIFO of 128).
            AssertContinues(client, S0, held, harness.SourceSeq(0));
        }
    }

    [Fact]
    public void ARunningClientFillsAGapByResubscribingWithResume()
    {
        // conflate: past its FIFO of 128 the client gets the symbol's latest, a jump it may want filled.
        using var harness = new FanoutHarness(resumeDepth: 512);
        using var client = harness.Connect();
        client.Subscribe(S0);
        harness.Publish(0);
        client.DrainAndRead();
        var held = client.LastSeq[S0];
        PublishMany(harness, 300);
        client.DrainAndRead();
        var before = client.Received[S0].Count;
        Assert.True(before < 301);

        var result = client.Resume(new Dictionary<string, ulong> { [S0] = held }, symbols: [S0]);
        client.DrainAndRead();

        // From the resume on, the client gets exactly the updates after the seq it holds (also those it had after the jump).
        Assert.Equal([S0], result.Recovered);
        Assert.Equal(
            Enumerable.Range((int)held + 1, (int)(harness.SourceSeq(0) - held)).Select(i => (ulong)i),
            client.Received[S0].Skip(before));
    }

    /// <summary>A client that saw <c>S0</c> (and <paramref name="symbols"/>) up to some seq, then was away while <paramref name="missed"/> more came.</summary>
    private static ulong Away(FanoutHarness harness, int missed, int[]? symbols = null)
    {
        symbols ??= [0, 1];
        for (var i = 0; i < 3; i++)
        {
            harness.PublishBatch(symbols);
        }

        var held = harness.SourceSeq(symbols[0]);
        for (var i = 0; i < missed; i++)
        {
            harness.PublishBatch(symbols);
        }

        return held;
    }

    private static void PublishMany(FanoutHarness harness, int count)
    {
        for (var i = 0; i < count; i++)
        {
            harness.Publish(0);
        }
    }

    private static void AssertContinues(FanoutClient client, string symbol, ulong held, ulong latest) =>
        Assert.Equal(
            Enumerable.Range((int)held + 1, (int)(latest - held)).Select(i => (ulong)i),
            client.Received[symbol]);
}
