using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

public sealed class SymbolUniverseTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(500)]
    [InlineData(20_000)]
    [InlineData(SymbolUniverse.MaxSymbols)]
    public void SymbolsAreUniqueAndOneToFiveUppercaseLetters(int count)
    {
        var universe = SymbolUniverse.Create(count, seed: 7);

        Assert.Equal(count, universe.Count);
        Assert.Equal(count, universe.Symbols.Distinct(StringComparer.Ordinal).Count());
        Assert.All(universe.Symbols, symbol => Assert.Matches("^[A-Z]{1,5}$", symbol));
    }

    [Fact]
    public void MostSymbolsHaveThreeOrFourLettersLikeListedTickers()
    {
        var universe = SymbolUniverse.Create(5_000, seed: 7);

        var threeOrFour = universe.Symbols.Count(s => s.Length is 3 or 4);

        Assert.InRange(threeOrFour / (double)universe.Count, 0.75, 0.95);
    }

    [Fact]
    public void SameSeedGivesSameUniverseAndAnotherSeedAnother()
    {
        var first = SymbolUniverse.Create(1_000, seed: 42);
        var again = SymbolUniverse.Create(1_000, seed: 42);
        var other = SymbolUniverse.Create(1_000, seed: 43);

        Assert.Equal(first.Symbols, again.Symbols);
        Assert.Equal(
            Enumerable.Range(0, first.Count).Select(i => (first[i].InitialPrice, first[i].Volatility, first[i].SpreadTicks)),
            Enumerable.Range(0, again.Count).Select(i => (again[i].InitialPrice, again[i].Volatility, again[i].SpreadTicks)));
        Assert.NotEqual(first.Symbols, other.Symbols);
    }

    [Fact]
    public void SmallerUniverseIsPrefixOfLargerOneWithTheSameSeed()
    {
        var small = SymbolUniverse.Create(100, seed: 9);
        var large = SymbolUniverse.Create(10_000, seed: 9);

        Assert.Equal(small.Symbols, large.Symbols.Take(100));
        Assert.Equal(small[99].InitialPrice, large[99].InitialPrice);
    }

    [Fact]
    public void ProfilesStayWithinTheirDocumentedRanges()
    {
        var universe = SymbolUniverse.Create(20_000, seed: 3);

        for (var i = 0; i < universe.Count; i++)
        {
            var profile = universe[i];
            Assert.InRange(profile.InitialPrice, 5.0, 800.0);
            Assert.Equal(Math.Round(profile.InitialPrice * 100), profile.InitialPrice * 100, precision: 6);
            Assert.InRange(profile.Volatility, 0.15, 0.80);
            Assert.True(profile.SpreadTicks >= 1);
            Assert.Contains(profile.LotSize, new[] { 40, 100 });
            Assert.True(profile.Activity > 0);
        }
    }

    [Fact]
    public void PriceLevelsSpreadAcrossOrdersOfMagnitude()
    {
        var universe = SymbolUniverse.Create(10_000, seed: 3);
        var prices = Enumerable.Range(0, universe.Count).Select(i => universe[i].InitialPrice).ToArray();

        // Log-uniform from $5 to $800: about a third under $27, a third over $148.
        Assert.InRange(prices.Count(p => p < 27) / (double)prices.Length, 0.28, 0.38);
        Assert.InRange(prices.Count(p => p > 148) / (double)prices.Length, 0.28, 0.38);
    }

    [Fact]
    public void FindsInstrumentBySymbol()
    {
        var universe = SymbolUniverse.Create(1_000, seed: 5);

        Assert.True(universe.TryGetInstrument(universe.Symbols[123], out var instrument));
        Assert.Equal(123, instrument);
        Assert.False(universe.TryGetInstrument("not a ticker", out _));
    }

    [Fact]
    public void CreateFromOptionsDrawsAndReportsSeedWhenNoneIsGiven()
    {
        var universe = SymbolUniverse.Create(new SimulatorOptions { Symbols = 10 });

        Assert.NotEqual(0UL, universe.Seed);
        Assert.Equal(universe.Symbols, SymbolUniverse.Create(10, universe.Seed).Symbols);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SymbolUniverse.MaxSymbols + 1)]
    public void RejectsCountOutsideLimits(int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SymbolUniverse.Create(count, seed: 1));
    }
}
