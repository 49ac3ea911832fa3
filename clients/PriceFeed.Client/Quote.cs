namespace PriceFeed.Client;

/// <summary>Top of book plus last trade for one instrument, as the server sent it (docs/protocol.md, "Messages", <c>Quote</c>).</summary>
public sealed record Quote
{
    /// <summary>The instrument.</summary>
    public required string Symbol { get; init; }

    /// <summary>Per symbol, assigned by the source: 1, 2, 3, ... A jump means updates were conflated or dropped.</summary>
    public ulong Seq { get; init; }

    /// <summary>Unix time in nanoseconds when the source produced the quote.</summary>
    public long SourceTimeNs { get; init; }

    /// <summary>Unix time in nanoseconds when the server took the quote into its ring buffer.</summary>
    public long PublishTimeNs { get; init; }

    /// <summary>Best bid price.</summary>
    public double Bid { get; init; }

    /// <summary>Best ask price.</summary>
    public double Ask { get; init; }

    /// <summary>Size at the best bid.</summary>
    public double BidSize { get; init; }

    /// <summary>Size at the best ask.</summary>
    public double AskSize { get; init; }

    /// <summary>Price of the last trade.</summary>
    public double Last { get; init; }

    /// <summary>Size of the last trade.</summary>
    public double LastSize { get; init; }

    /// <summary>Cumulative traded volume of the session.</summary>
    public ulong Volume { get; init; }

    /// <summary>The mid price, halfway between bid and ask.</summary>
    public double Mid => (Bid + Ask) / 2;
}
