namespace PriceFeed.Tests.Fanout;

/// <summary>
/// Seeded random runs of resume through the fan-out core: quotes, drains, changes of epoch and resumes (reconnects
/// and gap fills, too old, in the future, at the latest, in an old epoch) with live quotes and epoch changes landing
/// at the seams of the subscribe use case, under both policies. Each resume must be recovered exactly when its epoch
/// is the current one, the history holds every missed update and the queue bound allows the replay, and a recovered
/// symbol's seqs must then continue with no gap and no duplicate; no quote may come under another epoch's hello.
/// </summary>
/// <remarks>A failure names its seed; <c>PRICEFEED_RESUME_SEED=&lt;seed&gt;</c> replays that one run alone.</remarks>
public sealed class ResumeRandomTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("PRICEFEED_RESUME_SEED"), out var only))
        {
            data.Add(only);
            return data;
        }

        for (var seed = 1; seed <= 40; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EveryResumeIsRecoveredExactlyWhenItCanBeAndThenContinuesWithNoGap(int seed)
    {
        var random = new Random(seed);
        var drop = random.Next(2) == 0;
        var depth = new[] { 4, 16, 64 }[random.Next(3)];
        var queueCapacity = new[] { 8, 40, 4096 }[random.Next(3)];
        const int symbols = 4;
        using var harness = new FanoutHarness(symbols, dropOldest: drop, queueCapacity: queueCapacity, logCapacity: 1 << 14, resumeDepth: depth);
        var client = harness.Connect(json: random.Next(4) == 0);
        client.Subscribe([.. Enumerable.Range(0, symbols).Select(FanoutHarness.SymbolName)]);
        var setup = $"seed {seed}: {(drop ? "drop" : "conflate")}, depth {depth}, queue {queueCapacity}";

        int recoveredCount = 0, snapshotCount = 0;
        for (var step = 0; step < 150; step++)
        {
            if (random.Next(30) == 0)
            {
                // A restarted source: the client gets the new hello and a snapshot; its seqs start again.
                harness.ChangeEpoch();
                client.DrainAndRead();
                AssertNoEpochViolation(client, setup, step);
                continue;
            }

            if (random.Next(3) > 0)
            {
                // At most 8 quotes a batch, drained at once: neither policy conflates or drops here.
                harness.PublishBatch([.. Enumerable.Range(0, 1 + random.Next(8)).Select(_ => random.Next(symbols))]);
                client.DrainAndRead();
                continue;
            }

            var symbolId = random.Next(symbols);
            var symbol = FanoutHarness.SymbolName(symbolId);
            var latestBefore = harness.SourceSeq(symbolId);
            var back = random.Next((2 * depth) + 3) - 1; // -1: a seq in the future; past depth: too old
            var after = (ulong)Math.Max(0, (long)latestBefore - back);
            var atRegistry = random.Next(4) == 0 ? random.Next(6) : 0;
            var atReplay = random.Next(4) == 0 ? random.Next(6) : 0;
            // Mostly the epoch of the client's last hello; sometimes the first one, long gone; sometimes the epoch
            // changes between the registry change and the history read.
            var epoch = random.Next(10) == 0 || client.EpochHellos.Count == 0 ? FanoutHarness.Epoch : client.EpochHellos[^1];
            var changeAtSeam = random.Next(20) == 0;
            ulong latestAtRead = 0;
            var result = client.Resume(
                new Dictionary<string, ulong> { [symbol] = after },
                epoch,
                afterRegistry: () =>
                {
                    if (changeAtSeam)
                    {
                        harness.ChangeEpoch();
                    }

                    Publish(harness, random, symbolId, atRegistry);
                    latestAtRead = harness.SourceSeq(symbolId);
                },
                beforeReplay: () => Publish(harness, random, symbolId, atReplay),
                symbols: [symbol]);
            var expected = epoch == harness.SourceEpoch.Current
                && latestAtRead > 0 && after <= latestAtRead && latestAtRead - after <= (ulong)Math.Min(depth, queueCapacity);
            var recovered = result.Recovered.Contains(symbol);
            Assert.True(
                expected == recovered,
                $"{setup}, step {step}: resume {symbol} after {after} with latest {latestAtRead}: expected {(expected ? "recovered" : "a snapshot")}");

            recoveredCount += recovered ? 1 : 0;
            snapshotCount += recovered ? 0 : 1;
            var before = client.Received.GetValueOrDefault(symbol)?.Count ?? 0;
            client.DrainAndRead();
            AssertNoEpochViolation(client, setup, step);
            if (recovered)
            {
                var since = client.Received.GetValueOrDefault(symbol)?.Skip(before).ToList() ?? [];
                var latest = harness.SourceSeq(symbolId);
                Assert.True(
                    since.SequenceEqual(Enumerable.Range((int)after + 1, (int)(latest - after)).Select(i => (ulong)i)),
                    $"{setup}, step {step}: resumed {symbol} after {after}, latest {latest}: got [{string.Join(",", since)}]");
            }
        }

        // Not vacuous: each run exercises both outcomes.
        Assert.True(recoveredCount > 0 && snapshotCount > 0, $"{setup}: {recoveredCount} recovered, {snapshotCount} snapshots");
    }

    /// <summary>A gap fill repeats seqs on purpose (FanoutClient counts those), but no quote may come under another epoch's hello.</summary>
    private static void AssertNoEpochViolation(FanoutClient client, string setup, int step)
    {
        var wrongEpoch = client.Violations.Where(v => v.Contains("epoch", StringComparison.Ordinal)).ToList();
        Assert.True(wrongEpoch.Count == 0, $"{setup}, step {step}: {string.Join("; ", wrongEpoch.Take(3))}");
    }

    private static void Publish(FanoutHarness harness, Random random, int symbolId, int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Mostly the resumed symbol, sometimes another.
            harness.Publish(random.Next(3) == 0 ? random.Next(harness.Symbols.Count) : symbolId);
        }
    }
}
