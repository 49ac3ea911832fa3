using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class YieldingWaitStrategyTests : WaitStrategyTests
{
    private protected override IWaitStrategy CreateWaitStrategy() => new YieldingWaitStrategy();
}
