namespace PriceFeed.Server.Quotes;

/// <summary>
/// One quote in a slot of the quote ring, filled in place by the source and read in place by
/// the fan-out processor.
/// </summary>
/// <remarks>
/// Plain data and no references: the symbol is interned to <see cref="SymbolId"/> at the
/// edge, so a slot holds no string and the ring's array holds nothing for the GC to trace.
/// Fields mirror <c>pricefeed.v1.Quote</c>; times are Unix nanoseconds. 88 bytes.
/// </remarks>
internal struct QuoteEvent
{
    /// <summary>The <see cref="SymbolId"/> of a slot that carries no quote but the source's change of epoch
    /// (<see cref="SourceEpoch"/>): every quote before it belongs to the old epoch, every quote after it to the new.</summary>
    public const int EpochChangeMarker = -1;

    /// <summary>The <see cref="SymbolId"/> of a slot that carries no quote but a change of the source's reachability
    /// (<see cref="SourceStatus"/>).</summary>
    public const int StatusChangeMarker = -2;

    /// <summary>The interned symbol.</summary>
    public int SymbolId;

    /// <summary>Per-symbol sequence number from the source.</summary>
    public ulong Seq;

    /// <summary>When the source produced the quote, Unix nanoseconds.</summary>
    public long SourceTimeNs;

    /// <summary>When the server took the quote into its ring, Unix nanoseconds; stamped by the source once per published batch.</summary>
    public long PublishTimeNs;

    /// <summary>Best bid price.</summary>
    public double Bid;

    /// <summary>Best ask price.</summary>
    public double Ask;

    /// <summary>Size at the best bid.</summary>
    public double BidSize;

    /// <summary>Size at the best ask.</summary>
    public double AskSize;

    /// <summary>Last trade price.</summary>
    public double Last;

    /// <summary>Last trade size.</summary>
    public double LastSize;

    /// <summary>Cumulative traded volume.</summary>
    public ulong Volume;

    /// <summary>True for the slot that marks a change of epoch rather than carrying a quote.</summary>
    public readonly bool IsEpochChange => SymbolId == EpochChangeMarker;

    /// <summary>True for a slot that marks a change (of epoch or of status) rather than carrying a quote.</summary>
    public readonly bool IsMarker => SymbolId is EpochChangeMarker or StatusChangeMarker;

    /// <summary>The slot that marks a change of status (<see cref="StatusChangeMarker"/>).</summary>
    public static QuoteEvent StatusChange(long publishTimeNs) => new() { SymbolId = StatusChangeMarker, PublishTimeNs = publishTimeNs };

    /// <summary>The slot that marks a change of epoch (<see cref="EpochChangeMarker"/>).</summary>
    public static QuoteEvent EpochChange(long publishTimeNs) => new() { SymbolId = EpochChangeMarker, PublishTimeNs = publishTimeNs };
}
