namespace PriceFeed.Client;

/// <summary>Data of <see cref="PriceFeedClient.Resumed"/>: how the symbols the client held were brought up to date on a new connection.</summary>
/// <remarks>
/// A symbol in <see cref="Recovered"/> continues where it left off: the server sends exactly the updates
/// missed while the client was away, in seq order, so the reader sees no gap. A symbol in
/// <see cref="Snapshotted"/> was brought up to date by a snapshot instead: what it missed is gone (the
/// server did not hold it any more, offers no resume, or its source started a new epoch), and the reader
/// sees a jump (<see cref="PriceFeedClient.GapDetected"/>) or, after an epoch change, seqs that start again.
/// </remarks>
public sealed class ResumedEventArgs : EventArgs
{
    /// <summary>Creates the data of one resume.</summary>
    public ResumedEventArgs(string epoch, bool epochChanged, IReadOnlyList<string> recovered, IReadOnlyList<string> snapshotted)
    {
        Epoch = epoch;
        EpochChanged = epochChanged;
        Recovered = recovered;
        Snapshotted = snapshotted;
    }

    /// <summary>The server's epoch (<see cref="ServerHello.Epoch"/>) the client's seqs now belong to; empty when the server names none.</summary>
    public string Epoch { get; }

    /// <summary>True when the server's epoch differs from the one the client's seqs came from: the source
    /// restarted, its seqs started again, and the client's seq guard started again with them.</summary>
    public bool EpochChanged { get; }

    /// <summary>Symbols whose missed updates follow with no gap.</summary>
    public IReadOnlyList<string> Recovered { get; }

    /// <summary>Symbols the client held that were brought up to date by a snapshot instead.</summary>
    public IReadOnlyList<string> Snapshotted { get; }
}
