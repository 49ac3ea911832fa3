using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class WaitStrategiesTests
{
    [Theory]
    [InlineData("busy-spin", typeof(BusySpinWaitStrategy))]
    [InlineData("yielding", typeof(YieldingWaitStrategy))]
    [InlineData("blocking", typeof(BlockingWaitStrategy))]
    [InlineData("spin-then-block", typeof(SpinThenBlockWaitStrategy))]
    [InlineData("event-loop", typeof(SignallingWaitStrategy))]
    public void CreatesTheStrategyASettingNames(string name, Type expected)
    {
        var kind = WaitStrategies.Parse(name);

        Assert.IsType(expected, WaitStrategies.Create(kind));
        Assert.Equal(name, WaitStrategies.NameOf(kind));
    }

    [Theory]
    [InlineData("Busy-Spin")]
    [InlineData(" busy-spin ")]
    [InlineData("BUSY-SPIN")]
    public void ReadsANameWhateverItsCaseAndSurroundingSpaces(string name) =>
        Assert.Equal(WaitStrategyKind.BusySpin, WaitStrategies.Parse(name));

    [Theory]
    [InlineData("")]
    [InlineData("busyspin")]
    [InlineData("BusySpin")]
    [InlineData("sleeping")]
    public void AnUnknownNameFailsWithTheValidNames(string name)
    {
        var exception = Assert.Throws<FormatException>(() => WaitStrategies.Parse(name));

        Assert.Contains($"'{name}' is not a wait strategy", exception.Message, StringComparison.Ordinal);
        Assert.Contains("spin-then-block, busy-spin, yielding, blocking, event-loop", exception.Message, StringComparison.Ordinal);
        Assert.False(WaitStrategies.TryParse(name, out _));
    }

    [Fact]
    public void TheDefaultIsTheEventLoop() => Assert.Equal(WaitStrategyKind.EventLoop, WaitStrategies.Default);

    [Fact]
    public void EachCreateReturnsANewInstance() =>
        Assert.NotSame(WaitStrategies.Create(WaitStrategyKind.Blocking), WaitStrategies.Create(WaitStrategyKind.Blocking));
}
