namespace PriceFeed.Simulation;

/// <summary>
/// Makes the next quote of a universe: picks an instrument by activity, moves its mid price
/// by geometric Brownian motion over the time since its previous quote, and quotes a book
/// and a last trade around it.
/// </summary>
/// <remarks>
/// <para>Invariants of every quote: 0 &lt; bid &lt; ask, both whole ticks; last within
/// [bid, ask]; sizes whole lots; volume never decreases and seq goes 1, 2, 3, ... per
/// instrument.</para>
/// <para>The same seed and the same sequence of times give the same quotes. Only the
/// differences between times matter, so runs started at different clock times still match.
/// No allocation per quote. Not thread-safe: one thread calls <see cref="Next"/>.</para>
/// </remarks>
public sealed class QuoteGenerator
{
    // Volatility is quoted per trading year and the simulated market never closes, so a year
    // of this clock is 252 sessions of 6.5 hours, in ns.
    private const double TradingYearNs = 252 * 6.5 * 3600 * 1e9;

    // A quote that prints a trade even though the book did not move through the last price.
    private const double TradeProbability = 0.3;

    // Where a trade prints: at the bid (a seller crossed), at the ask (a buyer crossed), and
    // otherwise inside the spread (midpoint and hidden orders).
    private const double TradeAtBidProbability = 0.45;
    private const double TradeAtAskProbability = 0.45;

    // Mean lots beyond the first, exponentially distributed: books show a few lots at the top
    // and now and then a large one; trades are smaller.
    private const double MeanExtraBookLots = 4.0;
    private const double MeanExtraTradeLots = 1.5;

    // Mean extra ticks over an instrument's usual spread: most quotes are at the usual width,
    // some wider for a moment.
    private const double MeanExtraSpreadTicks = 0.5;

    private readonly SymbolUniverse _universe;
    private readonly InstrumentState[] _states;
    private readonly double[] _cumulativeActivity;
    private Xoshiro256StarStar _random;

    /// <summary>Starts a session of <paramref name="universe"/>: every instrument at its initial price, no quote yet.</summary>
    public QuoteGenerator(SymbolUniverse universe, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(universe);
        _universe = universe;
        _random = new Xoshiro256StarStar(Xoshiro256StarStar.DeriveSeed(seed, RandomStreams.Quotes));
        _states = new InstrumentState[universe.Count];
        _cumulativeActivity = new double[universe.Count];
        var total = 0.0;
        for (var i = 0; i < universe.Count; i++)
        {
            var profile = universe[i];
            _states[i] = new InstrumentState
            {
                Mid = profile.InitialPrice,
                VariancePerNs = profile.Volatility * profile.Volatility / TradingYearNs,
            };
            total += profile.Activity;
            _cumulativeActivity[i] = total;
        }
    }

    /// <summary>The instruments quoted.</summary>
    public SymbolUniverse Universe => _universe;

    /// <summary>Fills <paramref name="quote"/> with the next quote, stamped <paramref name="sourceTimeNs"/>.</summary>
    /// <param name="quote">Overwritten entirely.</param>
    /// <param name="sourceTimeNs">The quote's time in ns; it must not go backwards from one call to the next.</param>
    public void Next(ref SimulatedQuote quote, long sourceTimeNs)
    {
        var instrument = PickInstrument();
        var profile = _universe[instrument];
        ref var state = ref _states[instrument];

        var isFirst = state.Seq == 0;
        if (!isFirst)
        {
            MoveMid(ref state, sourceTimeNs - state.LastTimeNs);
        }

        state.LastTimeNs = sourceTimeNs;
        state.Seq++;

        var spreadTicks = profile.SpreadTicks + (long)(MeanExtraSpreadTicks * _random.NextExponential());
        // Centre the spread on the mid; the lowest book is one tick bid, so prices stay positive
        // and ask > bid whatever the mid does.
        var bidTicks = Math.Max(1, (long)Math.Floor((state.Mid * SymbolUniverse.TicksPerUnit) - (0.5 * spreadTicks) + 0.5));
        var askTicks = bidTicks + spreadTicks;

        // The book only moves through the last price by trading there, so a last price the new
        // book has left behind forces a trade; otherwise trades come at random.
        if (isFirst || state.LastTicks < bidTicks || state.LastTicks > askTicks || _random.NextDouble() < TradeProbability)
        {
            Trade(ref state, profile.LotSize, bidTicks, askTicks);
        }

        quote.Instrument = instrument;
        quote.Seq = state.Seq;
        quote.SourceTimeNs = sourceTimeNs;
        quote.Bid = (double)bidTicks / SymbolUniverse.TicksPerUnit;
        quote.Ask = (double)askTicks / SymbolUniverse.TicksPerUnit;
        quote.BidSize = BookSize(profile.LotSize);
        quote.AskSize = BookSize(profile.LotSize);
        quote.Last = (double)state.LastTicks / SymbolUniverse.TicksPerUnit;
        quote.LastSize = state.LastSize;
        quote.Volume = state.Volume;
    }

    private int PickInstrument()
    {
        // Inverse of the cumulative activity by binary search: O(log N), no allocation.
        var target = _random.NextDouble() * _cumulativeActivity[^1];
        int low = 0, high = _cumulativeActivity.Length - 1;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_cumulativeActivity[middle] <= target)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private void MoveMid(ref InstrumentState state, long elapsedNs)
    {
        if (elapsedNs <= 0)
        {
            return;
        }

        // Exact GBM step with no drift: S(t+dt) = S(t) exp(-v dt / 2 + sqrt(v dt) Z), v the
        // variance per ns. The -v dt / 2 keeps the expected price unchanged.
        var variance = state.VariancePerNs * elapsedNs;
        state.Mid *= Math.Exp((-0.5 * variance) + (Math.Sqrt(variance) * _random.NextNormal()));
    }

    private void Trade(ref InstrumentState state, int lotSize, long bidTicks, long askTicks)
    {
        var side = _random.NextDouble();
        state.LastTicks = side < TradeAtBidProbability ? bidTicks
            : side < TradeAtBidProbability + TradeAtAskProbability ? askTicks
            : bidTicks + _random.NextInt((int)(askTicks - bidTicks) + 1);
        var lots = 1 + (long)(MeanExtraTradeLots * _random.NextExponential());
        state.LastSize = lots * lotSize;
        state.Volume += (ulong)(lots * lotSize);
    }

    private double BookSize(int lotSize) => (1 + (long)(MeanExtraBookLots * _random.NextExponential())) * lotSize;

    /// <summary>What changes per instrument during a session.</summary>
    private struct InstrumentState
    {
        public double Mid;
        public double VariancePerNs;
        public long LastTimeNs;
        public ulong Seq;
        public long LastTicks;
        public double LastSize;
        public ulong Volume;
    }
}
