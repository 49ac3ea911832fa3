namespace PriceFeed.Simulation;

/// <summary>The fixed traits of one simulated instrument, drawn once when the universe is made.</summary>
public sealed class InstrumentProfile
{
    internal InstrumentProfile(string symbol, double initialPrice, double volatility, int spreadTicks, int lotSize, double activity)
    {
        Symbol = symbol;
        InitialPrice = initialPrice;
        Volatility = volatility;
        SpreadTicks = spreadTicks;
        LotSize = lotSize;
        Activity = activity;
    }

    /// <summary>The ticker: 1 to 5 uppercase letters, unique in its universe.</summary>
    public string Symbol { get; }

    /// <summary>The mid price the session opens at, in dollars, a whole number of ticks (<see cref="SymbolUniverse.TickSize"/>).</summary>
    public double InitialPrice { get; }

    /// <summary>Annualised volatility of the mid price (0.3 means 30% a year).</summary>
    public double Volatility { get; }

    /// <summary>The usual bid-ask spread, in ticks (1 or more); quotes are sometimes wider.</summary>
    public int SpreadTicks { get; }

    /// <summary>Shares in one round lot: book sizes and trades are whole lots.</summary>
    public int LotSize { get; }

    /// <summary>Relative quoting activity: an instrument with twice the activity ticks twice as often.</summary>
    public double Activity { get; }
}
