using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Security;

public sealed class QueuedBytesMonitorTests
{
    [Fact]
    public void ClosesNothingUnderTheCap() =>
        Assert.Empty(QueuedBytesMonitor.SelectToClose<string>([("a", 10), ("b", 20)], 30, 30));

    [Fact]
    public void ClosesTheBiggestUntilTheRestFits()
    {
        var chosen = QueuedBytesMonitor.SelectToClose<string>([("a", 10), ("b", 500), ("c", 40), ("d", 300)], 850, 100);

        Assert.Equal(["b", "d"], chosen.Select(c => c.Item));
    }

    [Fact]
    public void ClosesEveryoneWhenEvenTheSmallestIsOverTheCap()
    {
        var chosen = QueuedBytesMonitor.SelectToClose<string>([("a", 10), ("b", 20)], 30, 5);

        Assert.Equal(["b", "a"], chosen.Select(c => c.Item));
    }
}
