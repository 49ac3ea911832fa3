using System.Diagnostics;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Quotes;
using PriceFeed.Tests.Testing;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Bars;

/// <summary>
/// <see cref="BarBook"/> against <see cref="NaiveBarAggregator"/> on seeded random quote streams, and the cases the
/// protocol names one by one (flat bars, long gaps, a new epoch, the newest closed bars, the memory a symbol takes).
/// </summary>
/// <remarks>
/// Over 300 lines because the model test's stream generator, its comparison of every field of every bar and the
/// named cases share the quote and book helpers at the bottom; split, each part would need them again.
/// <para>Seeded: <c>PRICEFEED_BARS_SEED</c> replays a run (its 50 cases), <c>PRICEFEED_BARS_CASE</c> one case of it.</para>
/// </remarks>
public sealed class BarBookTests
{
    public const string SeedVariable = "PRICEFEED_BARS_SEED";
    public const string CaseVariable = "PRICEFEED_BARS_CASE";

    private const int Cases = 50;
    private const int QuotesPerCase = 2000;

    /// <summary>2025-12-03 09:30 UTC, on a whole 5 minutes.</summary>
    private const long Base = 1_764_754_200_000_000_000;

    private const long Second = 1_000_000_000;

    private readonly ITestOutputHelper _output;

    public BarBookTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RandomQuoteStreamsGiveTheBarsOfTheNaiveAggregator()
    {
        var seed = TestSeed.From(SeedVariable);
        var only = TestSeed.Optional(CaseVariable);
        _output.WriteLine($"{SeedVariable}={seed}");
        var started = Stopwatch.GetTimestamp();
        var tally = new Tally();
        for (var number = 0; number < Cases; number++)
        {
            if (only is not null && number != only)
            {
                continue;
            }

            var failure = RunCase(new Random(unchecked((seed * 1_000_003) + number)), tally);
            if (failure is not null)
            {
                Assert.Fail($"Bars model: case {number} of seed {seed} ({SeedVariable}={seed} {CaseVariable}={number} replays it): {failure}");
            }
        }

        _output.WriteLine($"{(only is null ? Cases : 1)} cases of {QuotesPerCase} quotes in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s: {tally}");
        Assert.True(only is not null || (tally.Trades > 0 && tally.Late > 0 && tally.LongGaps > 0 && tally.Flats > 0 && tally.Baselines > 0), $"the streams cover every rule: {tally}");
    }

    [Fact]
    public void AnIntervalWithoutATradeClosesAsAFlatBarAtThePreviousClose()
    {
        var (book, symbols) = NewBook(capacity: 16);
        var id = symbols.Intern("S");
        book.OnQuote(Quote(id, Base, 100, 10));
        book.OnQuote(Quote(id, Base + 100_000_000, 101.5, 15));
        book.OnQuote(Quote(id, Base + 200_000_000, 99.25, 17));
        book.OnQuote(Quote(id, Base + (3 * Second) + 5, 102, 20));

        var closed = ReadAll(book.Get(id)!, 0);

        Assert.Equal(3, closed.Length);
        AssertBar(closed[0], Base, 101.5, 101.5, 99.25, 99.25, 7, 2);
        AssertBar(closed[1], Base + Second, 99.25, 99.25, 99.25, 99.25, 0, 0);
        AssertBar(closed[2], Base + (2 * Second), 99.25, 99.25, 99.25, 99.25, 0, 0);
        Assert.True(book.Get(id)!.TryReadCurrent(0, out var current));
        AssertBar(current, Base + (3 * Second), 102, 102, 102, 102, 3, 1);

        // The clock closes the 5 s bar in progress with the same rule, and a flat one for the next 5 s.
        var listener = new Listener();
        book.CloseDue(Base + (10 * Second) + book.CloseDelayNs, ref listener);
        var fiveSeconds = ReadAll(book.Get(id)!, 1);
        Assert.Equal(2, fiveSeconds.Length);
        AssertBar(fiveSeconds[0], Base, 101.5, 102, 99.25, 102, 10, 3);
        AssertBar(fiveSeconds[1], Base + (5 * Second), 102, 102, 102, 102, 0, 0);
        Assert.Equal([(id, 0b0011)], listener.Changes);
    }

    [Fact]
    public void AGapLongerThanTheCapacityKeepsOnlyCapacityFlatBarsInOrder()
    {
        const int Capacity = 8;
        var (book, symbols) = NewBook(capacity: Capacity);
        var id = symbols.Intern("S");
        book.OnQuote(Quote(id, Base, 100, 1));
        book.OnQuote(Quote(id, Base + 1, 100.5, 3));
        book.OnQuote(Quote(id, Base + (100 * Second), 104, 4));

        var closed = ReadAll(book.Get(id)!, 0);

        Assert.Equal(Capacity, closed.Length);
        for (var i = 0; i < Capacity; i++)
        {
            AssertBar(closed[i], Base + ((100 - Capacity + i) * Second), 100.5, 100.5, 100.5, 100.5, 0, 0);
        }

        Assert.Equal(Base + (99 * Second), book.Get(id)!.NewestClosedStart(0));

        // The ring goes on in order after the jump.
        book.OnQuote(Quote(id, Base + (101 * Second), 105, 9));
        closed = ReadAll(book.Get(id)!, 0);
        Assert.Equal(Capacity, closed.Length);
        Assert.Equal(Enumerable.Range(100 - Capacity + 1, Capacity).Select(i => Base + (i * Second)), closed.Select(b => b.StartNs));
        AssertBar(closed[^1], Base + (100 * Second), 104, 104, 104, 104, 1, 1);
    }

    [Fact]
    public void ForgetVolumesMakesTheNextQuoteABaseline()
    {
        var (book, symbols) = NewBook(capacity: 16);
        var id = symbols.Intern("S");
        Assert.Equal(0, book.OnQuote(Quote(id, Base, 100, 1_000)));
        Assert.Equal(BarIntervals.AllMask, book.OnQuote(Quote(id, Base + 1, 101, 1_010)));

        book.ForgetVolumes();

        // The new epoch's volume is larger than the old one's, yet no trade: it is the baseline.
        Assert.Equal(0, book.OnQuote(Quote(id, Base + 2, 150, 5_000)));
        Assert.Equal(BarIntervals.AllMask, book.OnQuote(Quote(id, Base + 3, 102, 5_004)));
        Assert.True(book.Get(id)!.TryReadCurrent(0, out var bar));
        AssertBar(bar, Base, 101, 102, 101, 102, 14, 2);
    }

    [Fact]
    public void NoBarBeforeTheFirstTradeAndAnUnchangedOrLowerVolumeIsNoTrade()
    {
        var (book, symbols) = NewBook(capacity: 16);
        var id = symbols.Intern("S");
        var bars = book.Get(id)!;

        Assert.Equal(0, book.OnQuote(Quote(id, Base, 100, 50)));
        Assert.Equal(0, book.OnQuote(Quote(id, Base + 1, 100, 50)));
        Assert.Equal(0, book.OnQuote(Quote(id, Base + 2, 100, 20)));
        var listener = new Listener();
        book.CloseDue(Base + (400 * Second), ref listener);

        Assert.False(bars.Open);
        Assert.False(bars.TryReadCurrent(0, out _));
        Assert.Equal(long.MinValue, bars.NewestClosedStart(3));
        Assert.Empty(listener.Changes);
        Assert.Equal(BarIntervals.AllMask, book.OnQuote(Quote(id, Base + 3, 100, 21)));
        Assert.True(bars.TryReadCurrent(3, out var bar));
        AssertBar(bar, Base, 100, 100, 100, 100, 1, 1);
    }

    [Fact]
    public void ReadClosedNewestTakesTheNewestOnesOldestFirst()
    {
        var (book, symbols) = NewBook(capacity: 16);
        var id = symbols.Intern("S");
        book.OnQuote(Quote(id, Base, 100, 1));
        for (var i = 0; i < 12; i++)
        {
            book.OnQuote(Quote(id, Base + (i * Second), 100 + i, (ulong)i + 2));
        }

        var bars = book.Get(id)!;
        var three = new BarValue[3];

        Assert.Equal(3, bars.ReadClosed(0, long.MinValue, three, newest: true));
        Assert.Equal([Base + (8 * Second), Base + (9 * Second), Base + (10 * Second)], three.Select(b => b.StartNs));
        Assert.Equal(3, bars.ReadClosed(0, long.MinValue, three));
        Assert.Equal([Base, Base + Second, Base + (2 * Second)], three.Select(b => b.StartNs));
        Assert.Equal(3, bars.ReadClosed(0, Base + (4 * Second), three));
        Assert.Equal([Base + (5 * Second), Base + (6 * Second), Base + (7 * Second)], three.Select(b => b.StartNs));
        Assert.Equal(1, bars.ReadClosed(0, Base + (9 * Second), three, newest: true));
        Assert.Equal(Base + (10 * Second), three[0].StartNs);
        Assert.Equal(0, bars.ReadClosed(0, Base + (10 * Second), three, newest: true));
        Assert.Equal(Base + (10 * Second), bars.NewestClosedStart(0));
        Assert.Equal(Base + (5 * Second), bars.NewestClosedStart(1));
        Assert.Equal(long.MinValue, bars.NewestClosedStart(3));
    }

    [Fact]
    public void BytesPerSymbolIs224KilobytesAtTheDefaultCapacity()
    {
        var (book, _) = NewBook(capacity: BarBook.MaxHistory);

        // Four intervals of 1,000 closed bars and the one in progress, 56 bytes each: the "224 KB" of BarBook's remarks.
        Assert.Equal(56, System.Runtime.CompilerServices.Unsafe.SizeOf<BarValue>());
        Assert.Equal(224_224, book.BytesPerSymbol);
        Assert.Equal(224, book.BytesPerSymbol / 1000);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 0, 0)]
    [InlineData(-1, 0, -1_000_000_000)]
    [InlineData(-1_000_000_000, 0, -1_000_000_000)]
    [InlineData(Base + (299 * Second) + 999_999_999, 3, Base)]
    [InlineData(Base + (7 * Second), 1, Base + (5 * Second))]
    public void StartOfFloorsToTheInterval(long timeNs, int index, long expected) =>
        Assert.Equal(expected, BarIntervals.StartOf(timeNs, index));

    private static string? RunCase(Random random, Tally tally)
    {
        var symbolCount = random.Next(1, 6);
        var capacity = random.Next(1, 40);
        var delayNs = random.Next(4) switch { 0 => 0, 1 => 20_000_000, 2 => 700_000_000, _ => 2 * Second };
        var (book, symbols) = NewBook(capacity, delayNs);
        for (var s = 0; s < symbolCount; s++)
        {
            symbols.Intern($"S{s}");
        }

        var model = new NaiveBarAggregator();
        var volumes = new ulong[symbolCount];
        var prices = Enumerable.Repeat(100.0, symbolCount).ToArray();
        var time = Base + random.NextInt64(600 * Second);
        var now = long.MinValue;
        for (var step = 0; step < QuotesPerCase; step++)
        {
            var (advance, longGap) = NextStep(random);
            time += advance;
            tally.LongGaps += longGap ? 1 : 0;
            var id = random.Next(symbolCount);
            var roll = random.Next(100);
            volumes[id] = roll switch
            {
                < 20 => volumes[id],
                < 25 => volumes[id] / (ulong)random.Next(2, 10),
                _ => volumes[id] + (ulong)random.Next(1, 1000),
            };
            prices[id] = Math.Round(Math.Max(0.01, prices[id] + ((random.NextDouble() - 0.5) * 2)), 2);
            var late = random.Next(100) < 15;
            var sourceTime = late ? time - random.NextInt64(90 * Second) : time;
            var quote = Quote(id, sourceTime, prices[id], volumes[id]);

            var traded = model.OnQuote(id, sourceTime, prices[id], volumes[id]);
            var mask = book.OnQuote(quote);
            tally.Trades += traded ? 1 : 0;
            tally.Late += traded && late ? 1 : 0;
            tally.Baselines += traded ? 0 : 1;
            if (mask != (traded ? BarIntervals.AllMask : 0))
            {
                return $"step {step}: quote {Describe(quote)} gave mask {mask}, a {(traded ? "trade" : "non-trade")}";
            }

            if (random.Next(100) < 12)
            {
                now = Math.Max(now, time + random.NextInt64(-2 * Second, 3 * Second));
                model.CloseDue(now, delayNs);
                var listener = new Listener();
                book.CloseDue(now, ref listener);
            }

            if (random.Next(1000) < 5)
            {
                model.ForgetVolumes();
                book.ForgetVolumes();
            }

            var full = step % 50 == 49 || step == QuotesPerCase - 1;
            if (Compare(model, book, symbolCount, full, tally) is { } difference)
            {
                return $"step {step} (capacity {capacity}, delay {delayNs} ns, clock {now}), after quote {Describe(quote)}: {difference}";
            }
        }

        return null;
    }

    /// <summary>Mostly small steps; sometimes seconds, sometimes minutes, sometimes a gap of several 5-minute bars.</summary>
    private static (long Advance, bool LongGap) NextStep(Random random) => random.Next(1000) switch
    {
        < 700 => (random.NextInt64(300_000_000), false),
        < 920 => (random.NextInt64(3 * Second), false),
        < 990 => (random.NextInt64(5 * Second, 90 * Second), false),
        _ => (random.NextInt64(10 * 60 * Second, 25 * 60 * Second), true),
    };

    /// <summary>The bars in progress always; with <paramref name="full"/> every closed bar kept too.</summary>
    private static string? Compare(NaiveBarAggregator model, BarBook book, int symbolCount, bool full, Tally tally)
    {
        for (var id = 0; id < symbolCount; id++)
        {
            var bars = book.Get(id)!;
            for (var interval = 0; interval < BarIntervals.Count; interval++)
            {
                var where = $"symbol {id}, interval {BarIntervals.SecondsAt(interval)} s";
                var expected = model.Current(id, interval);
                var has = bars.TryReadCurrent(interval, out var current);
                if (has != expected is not null)
                {
                    return $"{where}: bar in progress {(has ? "present" : "absent")}, the model's {(expected is null ? "absent" : "present")}";
                }

                if (expected is not null && Differs(expected, current) is { } currentDifference)
                {
                    return $"{where}: bar in progress {currentDifference}";
                }

                if (full && CompareClosed(model.Closed(id, interval), bars, interval, tally) is { } closedDifference)
                {
                    return $"{where}: {closedDifference}";
                }
            }
        }

        return null;
    }

    private static string? CompareClosed(IReadOnlyList<NaiveBarAggregator.ModelBar> all, SymbolBars bars, int interval, Tally tally)
    {
        var kept = all.Skip(Math.Max(0, all.Count - bars.Capacity)).ToList();
        var read = new BarValue[bars.Capacity + 1];
        var count = bars.ReadClosed(interval, long.MinValue, read);
        if (count != kept.Count)
        {
            return $"{count} closed bars read, the model keeps {kept.Count} (of {all.Count})";
        }

        for (var i = 0; i < count; i++)
        {
            tally.Flats += kept[i].Trades == 0 ? 1 : 0;
            if (Differs(kept[i], read[i]) is { } difference)
            {
                return $"closed bar {i} of {count}: {difference}";
            }
        }

        var newest = kept.Count == 0 ? long.MinValue : kept[^1].StartNs;
        return bars.NewestClosedStart(interval) == newest ? null : $"newest closed start {bars.NewestClosedStart(interval)}, the model's {newest}";
    }

    private static string? Differs(NaiveBarAggregator.ModelBar expected, in BarValue actual) =>
        expected.StartNs == actual.StartNs && expected.Open.Equals(actual.Open) && expected.High.Equals(actual.High)
        && expected.Low.Equals(actual.Low) && expected.Close.Equals(actual.Close) && expected.Volume == actual.Volume
        && expected.Trades == actual.Trades
            ? null
            : $"is [start {actual.StartNs} o {actual.Open} h {actual.High} l {actual.Low} c {actual.Close} v {actual.Volume} n {actual.Trades}], the model's [{expected}]";

    private static string Describe(in QuoteEvent quote) =>
        $"[symbol {quote.SymbolId}, source time {quote.SourceTimeNs}, last {quote.Last}, volume {quote.Volume}]";

    private static (BarBook Book, SymbolTable Symbols) NewBook(int capacity, long closeDelayNs = 20_000_000)
    {
        var symbols = new SymbolTable(8);
        return (new BarBook(symbols, closeDelayNs, capacity), symbols);
    }

    private static QuoteEvent Quote(int id, long sourceTimeNs, double last, ulong volume) =>
        new() { SymbolId = id, SourceTimeNs = sourceTimeNs, Last = last, Volume = volume, Bid = last - 0.01, Ask = last + 0.01 };

    private static BarValue[] ReadAll(SymbolBars bars, int interval)
    {
        var buffer = new BarValue[bars.Capacity];
        return buffer[..bars.ReadClosed(interval, long.MinValue, buffer)];
    }

    private static void AssertBar(in BarValue bar, long start, double open, double high, double low, double close, ulong volume, uint trades)
    {
        Assert.Equal(
            (start, open, high, low, close, volume, trades),
            (bar.StartNs, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, bar.Trades));
    }

    private struct Listener : IBarListener
    {
        public Listener()
        {
        }

        public List<(int Symbol, int Mask)> Changes { get; } = [];

        public readonly void BarsChanged(int symbolId, int intervalMask) => Changes.Add((symbolId, intervalMask));
    }

    private sealed class Tally
    {
        public long Trades { get; set; }

        public long Late { get; set; }

        public long Baselines { get; set; }

        public long LongGaps { get; set; }

        public long Flats { get; set; }

        public override string ToString() =>
            $"{Trades} trades ({Late} late), {Baselines} non-trades, {LongGaps} long gaps, {Flats} flat bars compared";
    }
}
