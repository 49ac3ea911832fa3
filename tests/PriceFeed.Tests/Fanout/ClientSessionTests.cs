using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class ClientSessionTests
{
    [Fact]
    public void SendsSubscribeResultThenSnapshotThenLiveQuotes()
    {
        using var harness = new FanoutHarness();
        harness.Publish(0);
        var client = harness.Connect();

        client.Subscribe("S0");
        harness.Publish(0);
        var messages = client.DrainAndRead();

        Assert.Equal(
            [ServerMessage.BodyOneofCase.SubscribeResult, ServerMessage.BodyOneofCase.Snapshot, ServerMessage.BodyOneofCase.Quotes],
            messages.Select(m => m.BodyCase));
        Assert.Equal(1UL, messages[1].Snapshot.Quotes.Single().Seq);
        Assert.Equal(2UL, messages[2].Quotes.Quotes.Single().Seq);
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void SnapshotHoldsTheLatestQuoteOfEachSubscribedSymbolThatHasOne()
    {
        using var harness = new FanoutHarness();
        harness.PublishBatch(0, 1, 0, 5);
        var client = harness.Connect();

        client.Subscribe("S0", "S1", "S2");
        var snapshot = client.DrainAndRead()[1].Snapshot.Quotes;
        harness.PublishBatch(2, 0);
        var live = client.DrainAndRead().Single().Quotes.Quotes;

        Assert.Equal([("S0", 2UL), ("S1", 1UL)], snapshot.Select(q => (q.Symbol, q.Seq)));
        Assert.Equal([("S2", 1UL), ("S0", 3UL)], live.Select(q => (q.Symbol, q.Seq)));
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void SendsNoSnapshotWhenTheClientSkipsIt()
    {
        using var harness = new FanoutHarness();
        harness.Publish(0);
        var client = harness.Connect();

        client.Subscribe(throttleMs: 0, skipSnapshot: true, "S0");
        harness.Publish(0);

        Assert.Equal(
            [ServerMessage.BodyOneofCase.SubscribeResult, ServerMessage.BodyOneofCase.Quotes],
            client.DrainAndRead().Select(m => m.BodyCase));
    }

    [Fact]
    public void KeepsOnlyNewestQuotePerSymbolWhenClientIsSlow()
    {
        using var harness = new FanoutHarness(queueCapacity: 4);
        var client = harness.Connect();
        client.Subscribe("S0", "S1");
        client.SetWritable(false);

        for (var round = 0; round < 100; round++)
        {
            harness.PublishBatch(0, 1);
            client.RunPendingTasks();
        }

        client.Read();
        Assert.Equal(0, client.LiveQuotes);
        client.SetWritable(true);
        client.DrainAndRead();

        // What waited in order (the FIFO, here 4 updates) and then each symbol's newest, nothing in between.
        Assert.Equal((100UL, 100UL), (client.LastSeq["S0"], client.LastSeq["S1"]));
        Assert.InRange(client.LiveQuotes, 2, 4 + 2);
        Assert.Equal(client.LiveQuotes, client.Session.Delivered);
        Assert.Equal(200, client.Session.Delivered + client.Session.Conflated);
        Assert.Equal(0, client.Session.Dropped);
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void DropKeepsTheNewestUpToTheQueueCapacityAndCountsTheRestDropped()
    {
        using var harness = new FanoutHarness(dropOldest: true, queueCapacity: 8);
        var client = harness.Connect();
        client.Subscribe("S0");
        client.SetWritable(false);

        for (var i = 0; i < 100; i++)
        {
            harness.Publish(0);
            client.RunPendingTasks();
        }

        client.SetWritable(true);
        client.DrainAndRead();

        var live = client.Messages.Where(m => m.BodyCase == ServerMessage.BodyOneofCase.Quotes).SelectMany(m => m.Quotes.Quotes);
        Assert.Equal(Enumerable.Range(93, 8).Select(seq => (ulong)seq), live.Select(q => q.Seq));
        Assert.Equal(92, client.Session.Dropped);
        Assert.Equal(8, client.Session.Delivered);
        Assert.Equal(0, client.Session.Conflated);
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void ThrottleSendsAtMostOneUpdatePerSymbolPerIntervalAndTheLatestWins()
    {
        const int throttleMs = 50;
        using var harness = new FanoutHarness();
        var client = harness.Connect();
        client.Subscribe(throttleMs, skipSnapshot: false, "S0");

        var beforeFirst = Stopwatch.GetTimestamp();
        harness.Publish(0);
        client.DrainAndRead();
        Assert.Equal(1UL, client.LastSeq["S0"]);

        harness.Publish(0);
        harness.Publish(0);
        harness.Publish(0);
        client.DrainAndRead();
        client.DrainUntil(() => client.LastSeq["S0"] == 4, "the throttled update arrives");

        Assert.True(
            Stopwatch.GetElapsedTime(beforeFirst) >= TimeSpan.FromMilliseconds(throttleMs),
            "the second update came before the throttle interval was over");
        Assert.Equal(2, client.LiveQuotes);
        Assert.Equal(2, client.Session.Conflated);
        Assert.Empty(client.Violations);
    }

    [Fact]
    public void UnsubscribingStopsUpdatesIncludingThoseAlreadyQueued()
    {
        using var harness = new FanoutHarness();
        var client = harness.Connect();
        client.Subscribe("S0", "S1");
        harness.Publish(0);

        client.Unsubscribe("S0");
        harness.PublishBatch(0, 1);
        client.DrainAndRead();

        Assert.Equal(["S1"], client.Messages.Where(m => m.BodyCase == ServerMessage.BodyOneofCase.Quotes).SelectMany(m => m.Quotes.Quotes).Select(q => q.Symbol));
        Assert.Equal(1, client.Session.Delivered);
    }

    [Fact]
    public void CountsFramesOfEveryKindAndDeliveredLiveQuotes()
    {
        using var harness = new FanoutHarness();
        harness.Publish(0);
        var client = harness.Connect();
        client.Subscribe("S0", "S1");

        harness.PublishBatch(0, 1, 0);
        client.DrainAndRead();
        harness.Publish(1);
        client.DrainAndRead();

        Assert.Equal(3, client.Session.Frames);
        Assert.Equal(client.Messages.Count(m => m.BodyCase is ServerMessage.BodyOneofCase.Snapshot or ServerMessage.BodyOneofCase.Quotes), client.Session.Frames);
        Assert.Equal(4, client.Session.Delivered);
        Assert.Equal(client.LiveQuotes, client.Session.Delivered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void JsonClientGetsTextFramesOfTheSameQuotes(bool dropOldest)
    {
        using var harness = new FanoutHarness(dropOldest: dropOldest);
        var snapshotted = harness.Publish(0);
        var client = harness.Connect(json: true);

        client.Subscribe("S0", "S1");
        var live = new[] { harness.Publish(1, endOfBatch: false), harness.Publish(0) };
        var messages = client.DrainAndRead();

        Assert.Equal((3, 0), (client.TextFrames, client.BinaryFrames));
        Assert.Equal(["S0", "S1"], messages[0].SubscribeResult.Accepted);
        Assert.Equal([QuoteMessages.ToMessage(snapshotted, "S0")], messages[1].Snapshot.Quotes);
        Assert.Equal([QuoteMessages.ToMessage(live[0], "S1"), QuoteMessages.ToMessage(live[1], "S0")], messages[2].Quotes.Quotes);
    }
}
