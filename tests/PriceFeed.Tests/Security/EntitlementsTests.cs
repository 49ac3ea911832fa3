using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Security;

public sealed class EntitlementsTests
{
    [Theory]
    [InlineData("AAPL", true)]
    [InlineData("MSFT", true)]
    [InlineData("MS", true)]
    [InlineData("AAPL.L", false)]
    [InlineData("aapl", false)]
    [InlineData("IBM", false)]
    [InlineData("", false)]
    public void AllowsExactSymbolsAndPrefixes(string symbol, bool allowed) =>
        Assert.Equal(allowed, Entitlements.Parse(["AAPL", "MS*"]).Allows(symbol));

    [Fact]
    public void AStarAloneAllowsEverySymbol()
    {
        var entitlements = Entitlements.Parse(["*"]);

        Assert.True(entitlements.AllowsAll);
        Assert.True(entitlements.Allows("ANYTHING"));
    }

    [Fact]
    public void AnEmptyListAllowsNothing()
    {
        var entitlements = Entitlements.Parse([]);

        Assert.False(entitlements.AllowsAll);
        Assert.False(entitlements.Allows("AAPL"));
    }

    [Fact]
    public void BlankEntriesAreIgnoredAndOthersTrimmed()
    {
        var entitlements = Entitlements.Parse([" AAPL ", "", "  "]);

        Assert.True(entitlements.Allows("AAPL"));
        Assert.False(entitlements.AllowsAll);
        Assert.Equal("AAPL", entitlements.ToString());
    }
}
