using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class BlockingWaitStrategyTests : WaitStrategyTests
{
    private protected override IWaitStrategy CreateWaitStrategy() => new BlockingWaitStrategy();
}
