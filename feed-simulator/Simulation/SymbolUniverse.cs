namespace PriceFeed.Simulation;

/// <summary>
/// The instruments a simulator quotes: invented but plausible tickers, each with a price
/// level, a volatility, a spread, a lot size and an activity, all drawn from a seed.
/// </summary>
/// <remarks>
/// The same seed gives the same universe, and the first N instruments of a larger universe
/// are the N instruments of the smaller one, so changing the number of symbols keeps the
/// names that were there. Immutable once made: thread-safe.
/// </remarks>
public sealed class SymbolUniverse
{
    /// <summary>The most instruments a universe can hold.</summary>
    /// <remarks>100,000: about a fifth of the 4- and 5-letter names the generator can make,
    /// so finding an unused one stays cheap, and well above the ~10,000 US listed stocks.</remarks>
    public const int MaxSymbols = 100_000;

    /// <summary>Every price is a whole number of cents, as for US stocks above $1.</summary>
    public const double TickSize = 0.01;

    /// <summary>Ticks per dollar: prices are computed in whole ticks and divided once, so that
    /// 12345 ticks print as 123.45 rather than 123.45000000000002.</summary>
    internal const int TicksPerUnit = 100;

    // Price levels log-uniform between $5 and $800: as many stocks near $10 as near $100.
    private const double MinPrice = 5.0;
    private const double MaxPrice = 800.0;

    // Annualised volatility: 15% (a utility) to 80% (a small biotech).
    private const double MinVolatility = 0.15;
    private const double MaxVolatility = 0.80;

    // Spreads of 2 to 12 basis points of the price, at least one tick: $5 stocks quote one
    // tick wide, $500 stocks a few dimes.
    private const double MinSpreadBasisPoints = 2.0;
    private const double MaxSpreadBasisPoints = 12.0;

    // Round lots by price tier (SEC Regulation NMS, 2024 amendments): 100 shares up to $250, 40 up to $1,000.
    private const double SmallLotPriceAbove = 250.0;

    // Log-normal activity with this deviation: the busiest instruments quote tens of times
    // more often than the quietest, as a few names dominate real volume.
    private const double ActivityLogDeviation = 1.0;

    private readonly InstrumentProfile[] _instruments;
    private readonly string[] _symbols;
    private readonly Dictionary<string, int> _indexBySymbol;

    private SymbolUniverse(ulong seed, InstrumentProfile[] instruments)
    {
        Seed = seed;
        _instruments = instruments;
        _symbols = Array.ConvertAll(instruments, static i => i.Symbol);
        _indexBySymbol = new Dictionary<string, int>(instruments.Length, StringComparer.Ordinal);
        for (var i = 0; i < _symbols.Length; i++)
        {
            _indexBySymbol.Add(_symbols[i], i);
        }
    }

    /// <summary>The seed the universe was drawn from.</summary>
    public ulong Seed { get; }

    /// <summary>The number of instruments.</summary>
    public int Count => _instruments.Length;

    /// <summary>The tickers, by instrument index (<see cref="SimulatedQuote.Instrument"/>).</summary>
    public IReadOnlyList<string> Symbols => _symbols;

    /// <summary>The profile of the instrument at <paramref name="instrument"/>.</summary>
    public InstrumentProfile this[int instrument] => _instruments[instrument];

    /// <summary>Draws a universe of <paramref name="count"/> instruments from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not within 1..<see cref="MaxSymbols"/>.</exception>
    public static SymbolUniverse Create(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxSymbols);

        var random = new Xoshiro256StarStar(Xoshiro256StarStar.DeriveSeed(seed, RandomStreams.Universe));
        var taken = new HashSet<string>(count, StringComparer.Ordinal);
        var instruments = new InstrumentProfile[count];
        for (var i = 0; i < count; i++)
        {
            // One instrument's draws in a fixed order, name first: this is what keeps a
            // smaller universe a prefix of a larger one.
            var symbol = TickerNames.NextUnique(ref random, taken);
            var price = Math.Exp(Lerp(Math.Log(MinPrice), Math.Log(MaxPrice), random.NextDouble()));
            var priceTicks = Math.Round(price * TicksPerUnit);
            var volatility = Lerp(MinVolatility, MaxVolatility, random.NextDouble());
            var spreadBasisPoints = Lerp(MinSpreadBasisPoints, MaxSpreadBasisPoints, random.NextDouble());
            var spreadTicks = Math.Max(1, (int)Math.Round(priceTicks * spreadBasisPoints / 10_000));
            var lotSize = price > SmallLotPriceAbove ? 40 : 100;
            var activity = Math.Exp(ActivityLogDeviation * random.NextNormal());
            instruments[i] = new InstrumentProfile(symbol, priceTicks / TicksPerUnit, volatility, spreadTicks, lotSize, activity);
        }

        return new SymbolUniverse(seed, instruments);
    }

    /// <summary>Draws the universe that <paramref name="options"/> ask for: <see cref="SimulatorOptions.Symbols"/>
    /// instruments from <see cref="SimulatorOptions.Seed"/>, or from a new random seed when it is null
    /// (read it back from <see cref="Seed"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid (see <see cref="SimulatorOptions.Validate"/>).</exception>
    public static SymbolUniverse Create(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        return Create(options.Symbols, options.Seed ?? NewSeed());
    }

    /// <summary>Finds the instrument index of a ticker (ordinal, case-sensitive).</summary>
    public bool TryGetInstrument(string symbol, out int instrument) => _indexBySymbol.TryGetValue(symbol, out instrument);

    private static ulong NewSeed() =>
        // Small enough to read out of a log and type back in; 2^31 runs are plenty to tell apart.
        (ulong)Random.Shared.Next(1, int.MaxValue);

    private static double Lerp(double from, double to, double fraction) => from + ((to - from) * fraction);
}
