using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class SpinThenBlockWaitStrategyTests : WaitStrategyTests
{
    private protected override IWaitStrategy CreateWaitStrategy() => new SpinThenBlockWaitStrategy();
}
