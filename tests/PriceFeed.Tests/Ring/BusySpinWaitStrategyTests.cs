using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class BusySpinWaitStrategyTests : WaitStrategyTests
{
    private protected override IWaitStrategy CreateWaitStrategy() => new BusySpinWaitStrategy();
}
