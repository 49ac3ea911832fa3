using PriceFeed.Server.Quotes;

namespace PriceFeed.Tests.Quotes;

public sealed class SymbolTableTests
{
    [Fact]
    public void InternsToDenseIdsInOrderOfFirstSight()
    {
        var table = new SymbolTable(8);

        Assert.Equal(0, table.Intern("AAPL"));
        Assert.Equal(1, table.Intern("MSFT"));
        Assert.Equal(0, table.Intern("AAPL"));
        Assert.Equal(2, table.Count);
        Assert.Equal("MSFT", table.GetName(1));
        Assert.Equal("MSFT"u8.ToArray(), table.GetUtf8Name(1).ToArray());
        Assert.True(table.TryGetId("MSFT", out var id) && id == 1);
        Assert.False(table.TryGetId("IBM", out _));
    }

    [Fact]
    public void RaisesSymbolAddedOnceForEachNewSymbol()
    {
        var table = new SymbolTable(8);
        var added = new List<int>();
        table.SymbolAdded += added.Add;

        table.Intern("A");
        table.Intern("B");
        table.Intern("A");

        Assert.Equal([0, 1], added);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("HAS SPACE")]
    [InlineData("TOO-LONG-SYMBOL-NAME-OVER-32-BYTES")]
    [InlineData("CAFÉ")]
    public void RefusesSymbolsThatCannotGoOnTheWire(string symbol)
    {
        var table = new SymbolTable(8);

        Assert.Throws<ArgumentException>(() => table.Intern(symbol));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void SaysWhichOptionToRaiseWhenFull()
    {
        var table = new SymbolTable(1);
        table.Intern("A");

        var error = Assert.Throws<InvalidOperationException>(() => table.Intern("B"));
        Assert.Contains("--max-symbols", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConcurrentInternsAgreeOnIds()
    {
        var table = new SymbolTable(1000);
        var names = Enumerable.Range(0, 500).Select(i => $"S{i}").ToArray();

        var results = new int[4][];
        Parallel.For(0, 4, t => results[t] = names.Select(table.Intern).ToArray());

        Assert.Equal(500, table.Count);
        for (var t = 1; t < 4; t++)
        {
            Assert.Equal(results[0], results[t]);
        }
    }
}
