using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// A change of the source's epoch on a running server (docs/protocol.md, "Epoch"): every client gets a new hello, then a
/// snapshot of its symbols in the new epoch, and no quote of the old epoch after that hello nor of the new one before it.
/// <see cref="FanoutClient"/> checks both on every message: each quote carries its epoch's number (FanoutHarness).
/// </summary>
public sealed class EpochChangeTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void AClientGetsTheNewHelloThenASnapshotOfTheNewEpochAndNothingOfTheOldAfterIt(bool drop, bool json)
    {
        using var harness = new FanoutHarness(symbols: 3, dropOldest: drop);
        using var client = harness.Connect(json);
        client.Subscribe("S0", "S1", "S2");
        for (var i = 0; i < 5; i++)
        {
            harness.PublishBatch(0, 1, 2);
        }

        // Old quotes still queued when the epoch changes; the new epoch's first quotes follow at once.
        harness.ChangeEpoch();
        harness.PublishBatch(0, 1);
        harness.Publish(0);
        var read = client.DrainAndRead();

        Assert.Empty(client.Violations);
        Assert.Equal(["e1"], client.EpochHellos);
        var afterHello = read.SkipWhile(m => m.BodyCase != ServerMessage.BodyOneofCase.Hello).Skip(1).ToList();
        var snapshot = Assert.Single(afterHello, m => m.BodyCase == ServerMessage.BodyOneofCase.Snapshot).Snapshot;
        // Only symbols the new epoch has quoted: S2 has no quote in it yet, and its old one is not served.
        Assert.Equal([("S0", 2ul), ("S1", 1ul)], snapshot.Quotes.Select(q => (q.Symbol, q.Seq)).Order());
        Assert.Equal(0, afterHello.TakeWhile(m => m.BodyCase != ServerMessage.BodyOneofCase.Snapshot).Count(m => m.BodyCase == ServerMessage.BodyOneofCase.Quotes));

        // Live quotes of the new epoch follow, S2's first among them.
        harness.PublishBatch(0, 1, 2);
        client.DrainAndRead();
        Assert.Empty(client.Violations);
        Assert.Equal(3ul, client.LastSeq["S0"]);
        Assert.Equal(2ul, client.LastSeq["S1"]);
        Assert.Equal(1ul, client.LastSeq["S2"]);
    }

    [Fact]
    public void WildcardAndThrottledSubscriptionsCarryOverIntoTheNewEpoch()
    {
        using var harness = new FanoutHarness(symbols: 4);
        using var wildcard = harness.Connect();
        using var throttled = harness.Connect();
        wildcard.Subscribe("*");
        throttled.Subscribe(throttleMs: 1, skipSnapshot: false, "S0", "S1");
        harness.PublishBatch(0, 1, 2, 3);
        wildcard.DrainAndRead();
        throttled.DrainAndRead();

        harness.ChangeEpoch();
        harness.PublishBatch(0, 1, 2, 3);
        wildcard.DrainAndRead();
        throttled.DrainUntil(() => throttled.LastSeq.Count == 2, "the throttled client has both symbols of the new epoch");

        foreach (var client in new[] { wildcard, throttled })
        {
            Assert.Empty(client.Violations);
            Assert.Equal(["e1"], client.EpochHellos);
        }

        Assert.Equal(4, wildcard.LastSeq.Count);
        Assert.All(wildcard.LastSeq.Values, seq => Assert.Equal(1ul, seq));
        // The wildcard still follows, and the named subscriptions still count against the limit as before.
        Assert.Equal(4, harness.Registry.Count - 2);
        Assert.Equal(2, throttled.Session.NamedSubscriptions);
        harness.PublishBatch(0, 1, 2, 3);
        throttled.DrainUntil(() => throttled.LastSeq.Values.All(seq => seq == 2), "the throttled client's next updates");
        Assert.Empty(throttled.Violations);
    }

    [Fact]
    public void AClientThatConnectsDuringTheChangeGetsOneHelloAndNoRepeatedSeq()
    {
        using var harness = new FanoutHarness(symbols: 2);
        harness.PublishBatch(0, 1);
        harness.ChangeEpoch();
        // Opened after the epoch became current: its hello said the new epoch, so it is not told again.
        using var late = harness.Connect();
        Assert.Equal("e1", late.Session.HelloEpoch);
        harness.PublishBatch(0, 1);
        late.Subscribe("S0", "S1");
        late.DrainAndRead();

        Assert.Empty(late.EpochHellos);
        Assert.Empty(late.Violations);
        Assert.Equal(1ul, late.LastSeq["S0"]);
    }

    [Fact]
    public void AResumeInTheOldEpochAfterTheChangeGetsASnapshotAndTheHistoryHoldsOnlyTheNewEpoch()
    {
        using var harness = new FanoutHarness(symbols: 2, resumeDepth: 64);
        for (var i = 0; i < 10; i++)
        {
            harness.PublishBatch(0, 1);
        }

        harness.ChangeEpoch();
        harness.PublishBatch(0, 1);
        harness.PublishBatch(0, 1);

        using var client = harness.Connect();
        var oldEpoch = client.Resume(new Dictionary<string, ulong> { ["S0"] = 1 }, FanoutHarness.Epoch, symbols: "S0");
        Assert.Empty(oldEpoch.Recovered);
        Assert.False(harness.History!.TryCollect(0, 5, 100, []), "seq 5 is of the old epoch: the history forgot it");
        var fromNew = new List<Server.Fanout.HistoryEntry>();
        Assert.True(harness.History.TryCollect(0, 1, 100, fromNew));
        Assert.Equal([2ul], fromNew.Select(e => e.Seq));
    }

    /// <summary>
    /// The fan-out changes the epoch and offers the new epoch's first quotes while the client's event loop drains: the
    /// drain must send nothing of the new epoch before the new hello (it reads the queues and the cache after the
    /// fan-out announced the change), and nothing of the old after it. Litmus, 20,000 rounds, one epoch each.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEpochChangeRacingADrainSendsNothingOfTheNewEpochBeforeItsHello(bool drop)
    {
        const int Rounds = 20_000;
        using var harness = new FanoutHarness(symbols: 4, dropOldest: drop);
        using var client = harness.Connect();
        client.Subscribe("S0", "S1", "S2", "S3");
        Litmus.Run(
            Rounds,
            setup: _ => harness.PublishBatch(0, 1, 2, 3),
            left: _ =>
            {
                // The new epoch's seqs pass the old one's (1 per round), so the guard on seq alone would let them through.
                harness.ChangeEpoch(endOfBatch: false);
                harness.PublishBatch(0, 1, 2);
                harness.PublishBatch(0, 1, 2);
                harness.PublishBatch(0, 1, 2);
            },
            right: _ => client.Session.Drain(),
            check: round =>
            {
                client.DrainAndRead();
                Assert.True(client.Violations.Count == 0, $"round {round}: {string.Join("; ", client.Violations.Take(3))}");
                Assert.Equal(round + 1, client.EpochHellos.Count);
                Assert.Equal(3ul, client.LastSeq["S0"]);
                Assert.False(client.LastSeq.ContainsKey("S3"), "S3 has no quote in the new epoch: nothing of it is held");
            });
    }
}
