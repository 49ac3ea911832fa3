using PriceFeed.LoadTest;
using PriceFeed.LoadTest.Runs;

namespace PriceFeed.Tests.Bench;

/// <summary>
/// The load tool end to end on a tiny scenario: it starts the server itself, connects real
/// clients, and its figures must add up. Speed is never asserted here (docs/performance.md has the figures).
/// </summary>
public sealed class LoadToolTests : IDisposable
{
    // 3 fast clients and 1 slow one (stalling 200 ms every 500 ms) on 10 of 50 symbols at 2,000 quotes/s:
    // small enough for a busy CI machine, big enough to batch, conflate and converge.
    private static readonly Scenario s_tiny = new(
        "tiny", ScenarioKind.Steady, Symbols: 50, Clients: 3, SymbolsPerClient: 10, Rate: 2_000, SlowClients: 1, StallMs: 200, StallEveryMs: 500);

    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("pricefeed-loadtool-");

    public void Dispose() => _output.Delete(recursive: true);

    [Fact]
    public Task RunsATinyScenarioAgainstOursWithConsistentFigures() => RunsATinyScenarioWithConsistentFigures(Target.Ours);

    [Fact]
    public Task RunsATinyScenarioAgainstTheBaselineWithConsistentFigures() => RunsATinyScenarioWithConsistentFigures(Target.Baseline);

    /// <remarks>Needs <c>npm ci</c> in bench/node-baseline (./test.sh runs it); fails saying so rather than skipping.</remarks>
    [Fact]
    public Task RunsATinyScenarioAgainstTheNodeBaselineWithConsistentFigures() => RunsATinyScenarioWithConsistentFigures(Target.Node);

    [Theory]
    [InlineData("node", "node")]
    [InlineData("both", "ours,baseline")]
    [InlineData("ours,baseline,node", "ours,baseline,node")]
    [InlineData("node, ours", "node,ours")]
    public void TargetOptionTakesOneTargetOrAListInRunOrder(string text, string expected)
    {
        var options = LoadTestOptions.Parse(["--scenario", "latency", "--target", text], out var error);

        Assert.Null(error);
        Assert.Equal(expected, string.Join(',', options!.Targets.Select(t => t.Name())));
    }

    [Fact]
    public void TargetOptionRejectsAnUnknownTarget()
    {
        Assert.Null(LoadTestOptions.Parse(["--scenario", "latency", "--target", "ours,kestrel"], out var error));
        Assert.Contains("kestrel", error, StringComparison.Ordinal);
    }

    private async Task RunsATinyScenarioWithConsistentFigures(Target target)
    {
        var options = LoadTestOptions.Create(s_tiny, [target], duration: TimeSpan.FromSeconds(3), warmup: TimeSpan.FromSeconds(1), _output.FullName);

        var outcome = await Program.RunAsync(options, new Progress(TextWriter.Null, inPlace: false), TextWriter.Null, CancellationToken.None);

        var run = Assert.Single(outcome.Runs);
        Assert.Equal(target.Name(), run.Target);
        Assert.True(run.FastQuotes > 0, "the fast clients received quotes in the window");
        Assert.True(run.SlowQuotes > 0, "the slow client received quotes in the window");
        Assert.Equal(run.Quotes, run.FastQuotes + run.SlowQuotes);
        Assert.Equal(run.FastQuotes, run.FastFromPublish.Count);
        Assert.Equal(run.FastQuotes, run.FastFromSource.Count);
        Assert.Equal(run.SlowQuotes, run.SlowFromPublish.Count);
        Assert.InRange(run.Frames, 1, run.Quotes);
        Assert.Equal(0, run.SeqViolations);
        Assert.Equal(0L, run.StaleSymbols);
        Assert.Equal(0, run.ProtocolErrors);
        Assert.Equal(0, run.ClientsLost);
        Assert.NotNull(run.ServerCpuCores);
        Assert.True(run.ServerPeakRssBytes > 0);

        AssertOrdered(run.FastFromPublish);
        AssertOrdered(run.FastFromSource);
        AssertOrdered(run.SlowFromPublish);

        // Every target stamps send_time_ns, so the publish-based latency is split for every quote.
        var serverSide = Assert.IsType<LatencySummary>(run.FastServerSide);
        var network = Assert.IsType<LatencySummary>(run.FastNetwork);
        Assert.Equal(run.FastQuotes, serverSide.Count);
        Assert.Equal(run.FastQuotes, network.Count);
        AssertOrdered(serverSide);
        AssertOrdered(network);
        Assert.True(network.P50Us > 0, $"net p50 {network.P50Us} > 0");
        if (target == Target.Ours)
        {
            // Ours stamps each client's message as its event loop builds it, after the fan-out:
            // the baselines build one message per quote at publish, where the split can round to 0.
            Assert.True(serverSide.P50Us > 0, $"server p50 {serverSide.P50Us} > 0");
        }

        Assert.True(File.Exists(outcome.JsonPath));
        Assert.True(new FileInfo(outcome.PlotPath).Length > 0);
    }

    private static void AssertOrdered(LatencySummary latency)
    {
        Assert.True(latency.P50Us <= latency.P90Us, $"p50 {latency.P50Us} <= p90 {latency.P90Us}");
        Assert.True(latency.P90Us <= latency.P99Us, $"p90 {latency.P90Us} <= p99 {latency.P99Us}");
        Assert.True(latency.P99Us <= latency.P999Us, $"p99 {latency.P99Us} <= p99.9 {latency.P999Us}");
        Assert.True(latency.P999Us <= latency.MaxUs, $"p99.9 {latency.P999Us} <= max {latency.MaxUs}");
    }
}
