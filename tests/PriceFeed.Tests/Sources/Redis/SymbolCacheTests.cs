using PriceFeed.Server.Quotes;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Sources.Redis;

namespace PriceFeed.Tests.Sources.Redis;

public sealed class SymbolCacheTests
{
    [Fact]
    public void InternsASymbolOnFirstSightAndFindsItAgainByItsBytes()
    {
        var table = new SymbolTable(8);
        var added = new List<int>();
        table.SymbolAdded += added.Add;
        var cache = new SymbolCache(table);

        Assert.True(cache.TryGetId("AAPL"u8, out var first));
        Assert.True(cache.TryGetId("AAPL"u8, out var again));
        Assert.True(cache.TryGetId("AAP"u8, out var other));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal("AAPL", table.GetName(first));
        // Wildcard subscribers learn of new symbols through SymbolAdded: once per symbol.
        Assert.Equal([first, other], added);
    }

    [Fact]
    public void TellsApartSymbolsThatDifferOnlyInTheirLastOfThirtyTwoBytes()
    {
        var cache = new SymbolCache(new SymbolTable(8));

        Assert.True(cache.TryGetId("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"u8, out var a));
        Assert.True(cache.TryGetId("ABCDEFGHIJKLMNOPQRSTUVWXYZ012346"u8, out var b));

        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("HAS SPACE")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456")]
    [InlineData("CAFÉ")]
    public void RefusesWhatIsNotASymbol(string symbol)
    {
        var table = new SymbolTable(8);
        var cache = new SymbolCache(table);

        Assert.False(cache.TryGetId(System.Text.Encoding.UTF8.GetBytes(symbol), out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void RefusesANewSymbolWhenTheTableIsFull()
    {
        var cache = new SymbolCache(new SymbolTable(1));

        Assert.True(cache.TryGetId("A"u8, out _));
        Assert.False(cache.TryGetId("B"u8, out _));
    }
}
