using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Sources;

namespace PriceFeed.Tests.Fanout;

/// <summary>The subscription service's bar side when the server computes no bars (<c>--bar-history 0</c>).</summary>
public sealed class SubscriptionServiceBarsTests
{
    [Fact]
    public void WithBarsOffANewSymbolIsInternedWithoutFault()
    {
        var symbols = new SymbolTable(8);
        var registry = new SubscriptionRegistry(symbols.Capacity);
        // As FeedServer builds it: the bar registry is null when bars are off.
        var service = new SubscriptionService(registry, symbols, maxSymbolsPerClient: 10, new SourceEpoch("e")) { BarRegistry = null };

        var id = symbols.Intern("NEW");

        Assert.Equal(0, id);
        Assert.Equal(0, service.BarSubscriptionCount);
    }
}
