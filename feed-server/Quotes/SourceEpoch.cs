namespace PriceFeed.Server.Quotes;

/// <summary>
/// The epoch of a source: the name of its seq space, sent in <c>hello</c> (docs/protocol.md, "Epoch"). A source whose
/// seqs start again (a restarted publisher) announces a new epoch, then publishes <see cref="QuoteEvent.EpochChangeMarker"/>
/// into the quote ring; the fan-out makes the announced epoch <see cref="Current"/> when it takes that marker, so what
/// clients are told changes in the order of the quotes, never ahead of the last quote of the old epoch.
/// </summary>
/// <remarks>Empty: the source has no seq space a client can resume in (yet), so nothing is recovered.</remarks>
internal sealed class SourceEpoch
{
    private volatile string _announced;
    private volatile string _current;

    public SourceEpoch(string initial = "")
    {
        _announced = initial;
        _current = initial;
    }

    /// <summary>The epoch of the quotes the fan-out has taken so far: what <c>hello</c> says. Any thread.</summary>
    public string Current => _current;

    /// <summary>The epoch the source publishes in now; ahead of <see cref="Current"/> until the fan-out takes the marker.</summary>
    public string Announced => _announced;

    /// <summary>Names the epoch of the quotes that follow. The source's thread, right before it publishes the marker.</summary>
    public void Announce(string epoch) => _announced = epoch;

    /// <summary>Makes the announced epoch current and returns it. The fan-out's thread, when it takes the marker.</summary>
    public string Enter()
    {
        var epoch = _announced;
        _current = epoch;
        return epoch;
    }
}
