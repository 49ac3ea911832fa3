namespace PriceFeed.Server.Wire;

/// <summary>What <see cref="QuoteWireReader.NextBatchEntry"/> found.</summary>
internal enum WireReadResult
{
    Read,
    End,
    Malformed,
}
