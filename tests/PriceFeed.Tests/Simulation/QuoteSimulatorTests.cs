using System.Diagnostics;
using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

[Collection(WallClockTiming.Name)]
public sealed class QuoteSimulatorTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public async Task AchievesTheAskedRateWithinTwoPercent(int rate)
    {
        var sink = new RecordingQuoteSink();
        using var simulator = new QuoteSimulator(new SimulatorOptions { Rate = rate, Duration = TimeSpan.FromSeconds(2), Seed = 1 }, sink);

        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        // Measured on arrival at the sink, what a consumer sees: from the median arrival of the first
        // tenth of the quotes to that of the last tenth. Medians, so that one scheduling hiccup of a
        // loaded machine at either end does not decide the figure; a pacer that falls behind still shows.
        Assert.Equal(2 * rate, sink.Count);
        var tenth = sink.Count / 10;
        var seconds = (MedianArrivalNs(sink, sink.Count - tenth, tenth) - MedianArrivalNs(sink, 0, tenth)) / 1e9;
        var achieved = (sink.Count - tenth) / seconds;
        Assert.InRange(achieved / rate, 0.98, 1.02);
        Assert.InRange(simulator.QuotesPerSecond / rate, 0.9, 1.1);
        Assert.InRange(simulator.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.25));
    }

    [Fact]
    public async Task SourceTimesStayOnThePlanWhenTheSinkStalls()
    {
        // 10,000 quotes/s; the sink blocks for 200 ms once the first 1,000 quotes are in.
        var stalled = false;
        var sink = new RecordingQuoteSink
        {
            BeforeBatch = received =>
            {
                if (received >= 1_000 && !stalled)
                {
                    stalled = true;
                    Thread.Sleep(200);
                }
            },
        };
        using var simulator = new QuoteSimulator(new SimulatorOptions { Rate = 10_000, Duration = TimeSpan.FromSeconds(0.6), Seed = 1 }, sink);

        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        Assert.Equal(6_000, sink.Count);
        for (var i = 0; i < sink.Count; i++)
        {
            // Quote i is due i x 100 µs after the start, whenever it was actually made.
            Assert.Equal(simulator.StartUnixNs + (i * 100_000L), sink.Quotes[i].SourceTimeNs);
        }

        // The stall did happen (quotes arrived up to ~200 ms after their time) and the loop caught
        // up in full batches rather than one quote per due time.
        var lateness = sink.Quotes.Select((q, i) => sink.ArrivalNs[i] - q.SourceTimeNs).ToArray();
        Assert.True(lateness.Max() >= 150_000_000, $"the most late quote was only {lateness.Max() / 1e6} ms late");
        Assert.Contains(QuoteSimulator.MaxBatchSize, sink.BatchSizes);
    }

    [Fact]
    public async Task PacingSlackBatchesQuotesWithoutMovingTheirTimes()
    {
        var batches = 0;
        var sink = new RecordingQuoteSink { BeforeBatch = _ => batches++ };
        using var simulator = new QuoteSimulator(
            new SimulatorOptions { Rate = 10_000, Duration = TimeSpan.FromMilliseconds(500), PacingSlack = TimeSpan.FromMilliseconds(5), Seed = 1 },
            sink);

        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        // Sleeping up to ~5 ms between batches: tens of quotes per batch instead of one or two.
        Assert.Equal(5_000, sink.Count);
        Assert.True(sink.Count / (double)batches >= 10, $"{batches} batches for {sink.Count} quotes");
        for (var i = 0; i < sink.Count; i++)
        {
            Assert.Equal(simulator.StartUnixNs + (i * 100_000L), sink.Quotes[i].SourceTimeNs);
        }
    }

    [Fact]
    public async Task DurationStopsTheRunAfterThePlannedQuotes()
    {
        var sink = new RecordingQuoteSink();
        using var simulator = new QuoteSimulator(new SimulatorOptions { Rate = 1_000, Duration = TimeSpan.FromMilliseconds(300), Seed = 1 }, sink);

        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        Assert.Equal(300, sink.Count);
        Assert.Equal(300, simulator.QuotesPublished);
        Assert.True(simulator.Elapsed >= TimeSpan.FromMilliseconds(300));
        Assert.True(sink.Quotes[^1].SourceTimeNs < simulator.StartUnixNs + 300_000_000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1_000_000)]
    public async Task StopIsPromptWhetherWaitingOrBusy(int rate)
    {
        // At 1 quote/s the loop is asleep until the next quote, a second away; at 1,000,000/s it is busy.
        var sink = new RecordingQuoteSink();
        var simulator = new QuoteSimulator(new SimulatorOptions { Rate = rate, Seed = 1 }, sink);
        simulator.Start();
        await WaitUntil(() => sink.Count > 0);

        // Dispose is Stop plus joining the thread: timed on this thread, it does not depend on
        // when the test runner gets round to an await's continuation.
        var stopwatch = Stopwatch.StartNew();
        simulator.Dispose();
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromMilliseconds(250), $"Stop took {stopwatch.Elapsed.TotalMilliseconds} ms");
        Assert.True(simulator.Completion.IsCompletedSuccessfully);
        Assert.Equal(simulator.QuotesPublished, sink.Count);
    }

    [Fact]
    public async Task StopBeforeStartCompletesAndStartAfterwardsThrows()
    {
        using var simulator = new QuoteSimulator(new SimulatorOptions { Seed = 1 }, new RecordingQuoteSink());

        simulator.Stop();
        await simulator.Completion.WaitAsync(s_timeout);

        Assert.Throws<InvalidOperationException>(simulator.Start);
    }

    [Fact]
    public void StartingTwiceThrows()
    {
        using var simulator = new QuoteSimulator(new SimulatorOptions { Rate = 1, Seed = 1 }, new RecordingQuoteSink());

        simulator.Start();

        Assert.Throws<InvalidOperationException>(simulator.Start);
    }

    [Fact]
    public async Task BurstsRaiseTheRateByTheFactorDuringTheBurstWindow()
    {
        // 2,000/s, x5 for the first 100 ms of every 500 ms: 1,000 quotes in each burst, 800 between.
        var sink = new RecordingQuoteSink();
        using var simulator = new QuoteSimulator(
            new SimulatorOptions
            {
                Rate = 2_000,
                BurstFactor = 5,
                BurstInterval = TimeSpan.FromMilliseconds(500),
                BurstLength = TimeSpan.FromMilliseconds(100),
                Duration = TimeSpan.FromSeconds(1),
                Seed = 1,
            },
            sink);

        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        var start = simulator.StartUnixNs;
        int Planned(long fromMs, long toMs) =>
            sink.Quotes.Count(q => q.SourceTimeNs >= start + (fromMs * 1_000_000) && q.SourceTimeNs < start + (toMs * 1_000_000));
        Assert.Equal(1_000, Planned(0, 100));
        Assert.Equal(800, Planned(100, 500));
        Assert.Equal(1_000, Planned(500, 600));
        Assert.Equal(3_600, sink.Count);

        // And the bursts went out when planned: had the loop not kept up with five times the rate,
        // lateness would pile up through each burst. Median, so a scheduling hiccup does not decide it;
        // 50 ms, because a machine running far more threads than cores delays any thread that much.
        var burstLateness = sink.Quotes
            .Select((q, i) => (Offset: q.SourceTimeNs - start, Late: sink.ArrivalNs[i] - q.SourceTimeNs))
            .Where(x => x.Offset % 500_000_000 < 100_000_000)
            .Select(x => x.Late)
            .Order()
            .ToArray();
        Assert.Equal(2_000, burstLateness.Length);
        Assert.True(burstLateness[burstLateness.Length / 2] < 50_000_000, $"burst quotes went out a median {burstLateness[burstLateness.Length / 2] / 1e6} ms late");
    }

    [Fact]
    public async Task SameSeedAndOptionsGiveIdenticalRunsAndAnotherSeedDiffers()
    {
        var first = await RunAsync(seed: 42);
        var again = await RunAsync(seed: 42);
        var other = await RunAsync(seed: 43);

        Assert.Equal(2_000, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void DrawsAndReportsSeedWhenNoneIsGiven()
    {
        using var simulator = new QuoteSimulator(new SimulatorOptions(), new RecordingQuoteSink());

        Assert.NotEqual(0UL, simulator.Seed);
        Assert.Equal(simulator.Seed, simulator.Universe.Seed);
    }

    [Fact]
    public void RefusesUniverseNotMadeFromTheOptions()
    {
        var options = new SimulatorOptions { Symbols = 10, Seed = 5 };

        Assert.Throws<ArgumentException>(() => new QuoteSimulator(options, SymbolUniverse.Create(10, seed: 6), new RecordingQuoteSink()));
        Assert.Throws<ArgumentException>(() => new QuoteSimulator(options, SymbolUniverse.Create(11, seed: 5), new RecordingQuoteSink()));
    }

    [Fact]
    public void RefusesInvalidOptionsWithTheirMessages()
    {
        var exception = Assert.Throws<ArgumentException>(() => new QuoteSimulator(new SimulatorOptions { Rate = 0 }, new RecordingQuoteSink()));

        Assert.Contains("--rate must be between 1 and 1000000", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SinkFailureFaultsCompletion()
    {
        var sink = new RecordingQuoteSink { BeforeBatch = _ => throw new InvalidOperationException("sink broke") };
        using var simulator = new QuoteSimulator(new SimulatorOptions { Seed = 1 }, sink);

        simulator.Start();

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => simulator.Completion.WaitAsync(s_timeout));
        Assert.Equal("sink broke", exception.Message);
    }

    private static async Task<SimulatedQuote[]> RunAsync(ulong seed)
    {
        var sink = new RecordingQuoteSink();
        using var simulator = new QuoteSimulator(new SimulatorOptions { Rate = 20_000, Duration = TimeSpan.FromMilliseconds(100), Seed = seed }, sink);
        simulator.Start();
        await simulator.Completion.WaitAsync(s_timeout);

        // Times differ from run to run by the start only: compare offsets from it.
        return [.. sink.Quotes.Select(q => q with { SourceTimeNs = q.SourceTimeNs - simulator.StartUnixNs })];
    }

    private static long MedianArrivalNs(RecordingQuoteSink sink, int from, int count) =>
        sink.ArrivalNs.Skip(from).Take(count).Order().ElementAt(count / 2);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < s_timeout, "condition not met in time");
            await Task.Delay(1);
        }
    }
}
