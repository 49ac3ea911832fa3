using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

/// <summary>
/// The slow-consumer warning (docs/protocol.md, "Slow-consumer warning"): a client that cannot take its updates is
/// warned with <c>slow_consumer</c> (when its queue passes half its bound, or after half the grace), told when it
/// caught up, and closed with 4001 only if still behind at the end of the grace, at least half the grace after its warning.
/// </summary>
public sealed class SlowConsumerWarningTests
{
    private const int GraceMs = 300;

    [Fact]
    public void AClientBehindForHalfTheGraceIsWarnedThenClosedWith4001()
    {
        using var harness = new FanoutHarness(symbols: 4, slowConsumerGraceMs: GraceMs);
        using var client = harness.Connect();
        client.Subscribe("S0", "S1", "S2", "S3");
        client.DrainAndRead();
        client.SetWritable(false);
        harness.PublishBatch(0, 1, 2, 3);
        client.RunPendingTasks();
        Assert.Empty(Warnings(client.Read()));

        client.DrainUntil(() => Warnings(client.Messages).Count == 1, "the warning at half the grace");
        var warning = Warnings(client.Messages).Single();
        Assert.False(warning.Cleared);
        Assert.InRange(warning.CloseInMs, 1u, (uint)GraceMs / 2);
        Assert.Equal((uint)ClientSession.ConflateFifoCapacity, warning.Limit);
        Assert.False(client.Session.IsClosed);

        WaitForClose(client);
        Assert.True(client.Session.IsClosed);
        Assert.Equal(1, harness.Metrics.SlowConsumerWarnings.WithLabels("warned").Value);
        Assert.Equal(1, harness.Metrics.SlowConsumerCloses.Value);
    }

    [Fact]
    public void AClientThatCatchesUpAfterItsWarningIsClearedAndStaysOpen()
    {
        using var harness = new FanoutHarness(symbols: 4, slowConsumerGraceMs: GraceMs);
        using var client = harness.Connect();
        client.Subscribe("S0", "S1");
        client.DrainAndRead();
        client.SetWritable(false);
        harness.PublishBatch(0, 1);
        client.DrainUntil(() => Warnings(client.Messages).Count == 1, "the warning at half the grace");

        client.SetWritable(true);
        client.DrainAndRead();
        var warnings = Warnings(client.Messages);
        Assert.Equal([false, true], warnings.Select(w => w.Cleared));
        Assert.Equal(0u, warnings[1].CloseInMs);
        Assert.Equal(2ul, client.LastSeq["S0"] + client.LastSeq["S1"]);

        Thread.Sleep(GraceMs + 100);
        client.DrainAndRead();
        Assert.False(client.Session.IsClosed);
        Assert.Equal(2, Warnings(client.Messages).Count);
    }

    [Fact]
    public void AQueuePastHalfItsBoundIsWarnedAtOnceWithTheWholeGraceAhead()
    {
        using var harness = new FanoutHarness(symbols: 64, dropOldest: true, queueCapacity: 64, slowConsumerGraceMs: 10_000);
        using var client = harness.Connect();
        client.Subscribe([.. Enumerable.Range(0, 64).Select(FanoutHarness.SymbolName)]);
        client.DrainAndRead();
        client.SetWritable(false);
        harness.PublishBatch([.. Enumerable.Range(0, 40)]);
        client.RunPendingTasks();

        var warning = Assert.Single(Warnings(client.Read()));
        Assert.Equal((40u, 64u), (warning.Queued, warning.Limit));
        Assert.InRange(warning.CloseInMs, 9_000u, 10_000u);
    }

    [Fact]
    public void APromptClientWithABurstIsNeverWarned()
    {
        using var harness = new FanoutHarness(symbols: 1_000, slowConsumerGraceMs: 50);
        using var client = harness.Connect();
        client.Subscribe([.. Enumerable.Range(0, 1_000).Select(FanoutHarness.SymbolName)]);
        harness.PublishBatch([.. Enumerable.Range(0, 1_000)]);
        client.DrainAndRead();
        Thread.Sleep(100);
        client.DrainAndRead();

        Assert.Empty(Warnings(client.Messages));
        Assert.False(client.Session.IsClosed);
    }

    private static List<SlowConsumer> Warnings(IEnumerable<ServerMessage> messages) =>
        [.. messages.Where(m => m.BodyCase == ServerMessage.BodyOneofCase.SlowConsumer).Select(m => m.SlowConsumer)];

    private static void WaitForClose(FanoutClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!client.Session.IsClosed && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
            client.RunPendingTasks();
        }
    }
}
