using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

public sealed class QuoteGeneratorTests
{
    // 100 µs apart: 10,000 quotes per second.
    private const long StepNs = 100_000;

    [Fact]
    public void SameSeedGivesIdenticalQuotesAndAnotherSeedDifferentOnes()
    {
        var first = Generate(seed: 42, count: 50_000);
        var again = Generate(seed: 42, count: 50_000);
        var other = Generate(seed: 43, count: 50_000);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void OnlyDifferencesBetweenTimesMatter()
    {
        var universe = SymbolUniverse.Create(100, seed: 1);
        var early = new QuoteGenerator(universe, seed: 1);
        var late = new QuoteGenerator(universe, seed: 1);
        const long Offset = 1_763_950_000_000_000_000;

        for (var i = 0; i < 10_000; i++)
        {
            SimulatedQuote a = default, b = default;
            early.Next(ref a, i * StepNs);
            late.Next(ref b, Offset + (i * StepNs));
            b.SourceTimeNs -= Offset;
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void KeepsBookAndTradeInvariantsOverMillionsOfQuotes()
    {
        // 100 symbols at 10,000 quotes/s for 300 s of simulated time: each symbol walks far
        // enough from its start for rounding at low prices to show up.
        var universe = SymbolUniverse.Create(100, seed: 2024);
        var generator = new QuoteGenerator(universe, seed: 2024);
        var nextSeq = new ulong[universe.Count];
        var lastVolume = new ulong[universe.Count];
        Array.Fill(nextSeq, 1UL);
        SimulatedQuote quote = default;

        for (var i = 0L; i < 3_000_000; i++)
        {
            generator.Next(ref quote, i * StepNs);
            var lot = universe[quote.Instrument].LotSize;

            Assert.Equal(nextSeq[quote.Instrument]++, quote.Seq);
            Assert.Equal(i * StepNs, quote.SourceTimeNs);
            if (!(quote.Bid > 0 && quote.Bid < quote.Ask && quote.Last >= quote.Bid && quote.Last <= quote.Ask))
            {
                Assert.Fail($"quote {i} of {universe.Symbols[quote.Instrument]}: bid {quote.Bid}, ask {quote.Ask}, last {quote.Last}");
            }

            if (quote.BidSize < lot || quote.AskSize < lot || quote.LastSize < lot || quote.BidSize % lot != 0 || quote.LastSize % lot != 0)
            {
                Assert.Fail($"quote {i}: sizes {quote.BidSize}/{quote.AskSize}/{quote.LastSize} are not whole lots of {lot}");
            }

            Assert.True(quote.Volume >= lastVolume[quote.Instrument], "volume went down");
            Assert.True(quote.Volume >= (ulong)quote.LastSize, "volume is below the last trade");
            lastVolume[quote.Instrument] = quote.Volume;
        }
    }

    [Fact]
    public void PricesAreWholeTicks()
    {
        var universe = SymbolUniverse.Create(50, seed: 8);
        var generator = new QuoteGenerator(universe, seed: 8);
        SimulatedQuote quote = default;

        for (var i = 0; i < 100_000; i++)
        {
            generator.Next(ref quote, i * StepNs);
            foreach (var price in new[] { quote.Bid, quote.Ask, quote.Last })
            {
                // Divided once from whole ticks: printing shows at most two decimals.
                Assert.Equal(Math.Round(price, 2), price);
            }
        }
    }

    [Fact]
    public void LogReturnsHaveTheInstrumentsVolatility()
    {
        // One instrument, a quote every simulated second for about 85 trading days: the standard
        // deviation of the mid's log returns, annualised, is the profile's volatility.
        var universe = SymbolUniverse.Create(1, seed: 11);
        var generator = new QuoteGenerator(universe, seed: 11);
        const long SecondNs = 1_000_000_000;
        const int Count = 2_000_000;
        SimulatedQuote quote = default;
        var mids = new double[Count];
        for (var i = 0; i < Count; i++)
        {
            generator.Next(ref quote, i * SecondNs);
            mids[i] = (quote.Bid + quote.Ask) / 2;
        }

        // Returns over 1,000 s, long enough that tick rounding and spread noise are small against the
        // move; the run is seeded, so the figure is the same on every run.
        const int Lag = 1_000;
        var returns = Enumerable.Range(0, (Count / Lag) - 1).Select(k => Math.Log(mids[(k + 1) * Lag] / mids[k * Lag])).ToArray();
        var mean = returns.Average();
        var deviation = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Length - 1));
        var annualised = deviation * Math.Sqrt(252 * 6.5 * 3600 / (double)Lag);

        Assert.InRange(annualised / universe[0].Volatility, 0.9, 1.1);
    }

    [Fact]
    public void ActiveInstrumentsTickMoreOften()
    {
        var universe = SymbolUniverse.Create(200, seed: 21);
        var generator = new QuoteGenerator(universe, seed: 21);
        var counts = new int[universe.Count];
        SimulatedQuote quote = default;
        for (var i = 0; i < 400_000; i++)
        {
            generator.Next(ref quote, i * StepNs);
            counts[quote.Instrument]++;
        }

        var totalActivity = Enumerable.Range(0, universe.Count).Sum(i => universe[i].Activity);
        var busiest = Enumerable.Range(0, universe.Count).MaxBy(i => universe[i].Activity);
        var expected = 400_000 * universe[busiest].Activity / totalActivity;

        Assert.InRange(counts[busiest], expected * 0.95, expected * 1.05);
    }

    [Fact]
    public void AllocatesNothingPerQuote()
    {
        var generator = new QuoteGenerator(SymbolUniverse.Create(500, seed: 1), seed: 1);
        SimulatedQuote quote = default;
        // Warm up so that tiering and first-call work are done before measuring.
        for (var i = 0; i < 10_000; i++)
        {
            generator.Next(ref quote, i * StepNs);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 10_000; i < 110_000; i++)
        {
            generator.Next(ref quote, i * StepNs);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static SimulatedQuote[] Generate(ulong seed, int count)
    {
        var generator = new QuoteGenerator(SymbolUniverse.Create(500, seed), seed);
        var quotes = new SimulatedQuote[count];
        for (var i = 0; i < count; i++)
        {
            generator.Next(ref quotes[i], i * StepNs);
        }

        return quotes;
    }
}
