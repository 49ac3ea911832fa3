namespace PriceFeed.Server.Bus;

/// <summary>What <see cref="QuoteWireReader.NextBatchEntry"/> found.</summary>
internal enum WireReadResult
{
    Read,
    End,
    Malformed,
}
