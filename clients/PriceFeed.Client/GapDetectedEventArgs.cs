namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.GapDetected"/>: updates of one symbol that the reader did not see.</summary>
/// <remarks>
/// Updates <c>LastSeq + 1</c> to <c>NewSeq - 1</c> were conflated or dropped: by the server for a slow
/// client, by the client's own buffer for a slow reader, or while the connection was down.
/// </remarks>
public sealed class GapDetectedEventArgs : EventArgs
{
    /// <summary>Creates the data of one gap.</summary>
    public GapDetectedEventArgs(string symbol, ulong lastSeq, ulong newSeq)
    {
        Symbol = symbol;
        LastSeq = lastSeq;
        NewSeq = newSeq;
    }

    /// <summary>The symbol.</summary>
    public string Symbol { get; }

    /// <summary>The sequence number of the last quote of this symbol the reader received.</summary>
    public ulong LastSeq { get; }

    /// <summary>The sequence number of the quote about to be yielded.</summary>
    public ulong NewSeq { get; }

    /// <summary>How many updates were missed.</summary>
    public ulong Missed => NewSeq - LastSeq - 1;
}
