namespace PriceFeed.Simulation;

/// <summary>One quote as the simulator produces it: a plain value, no strings, filled in place.</summary>
/// <remarks>
/// <see cref="Instrument"/> is the index of the symbol in <see cref="SymbolUniverse.Symbols"/>;
/// whoever consumes the quote maps it to its own symbol ids once, at start-up.
/// </remarks>
public struct SimulatedQuote
{
    /// <summary>Index of the symbol in the universe that produced the quote.</summary>
    public int Instrument;

    /// <summary>Per-symbol sequence number: 1, 2, 3, ...</summary>
    public ulong Seq;

    /// <summary>Unix time in ns of the quote's slot in the pacing plan (not when the loop got to it).</summary>
    public long SourceTimeNs;

    public double Bid;
    public double Ask;
    public double BidSize;
    public double AskSize;
    public double Last;
    public double LastSize;

    /// <summary>Cumulative traded volume of the session.</summary>
    public ulong Volume;
}
