using PriceFeed.Protocol;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>What the node does with a bus entry (<see cref="BusChain.Next"/>).</summary>
internal enum BusStep
{
    /// <summary>Already applied (its id is at or below the last applied one, same epoch): nothing to do.</summary>
    Skip,

    /// <summary>The entry right after the last applied one: apply it.</summary>
    Apply,

    /// <summary>The first entry of another epoch: announce that epoch, start the seq guard again, apply it.</summary>
    StartEpoch,

    /// <summary>A live entry that does not follow the last applied one: entries were missed; read them from the stream.</summary>
    CatchUp,

    /// <summary>Read from the stream, yet not the one after the last applied: the stream no longer holds those in
    /// between (trimmed, or lost with a Redis restart). Reload the shared cache, then apply it.</summary>
    ApplyAfterLoss,

    /// <summary>As <see cref="ApplyAfterLoss"/>, in another epoch whose first entries are gone: announce it as well.</summary>
    StartEpochAfterLoss,
}

/// <summary>The chain rule of the bus (docs/scale-out.md, "Catching up"): which entry comes next, given the epoch and
/// the id of the last one applied.</summary>
/// <remarks>Every entry names its epoch, its id and the previous entry's id in that epoch, so the node knows without
/// a round trip whether it missed something. Bus thread only; allocates only when the epoch changes.</remarks>
internal sealed class BusChain
{
    private byte[] _epoch = [];

    /// <summary>The epoch of the entries applied so far, UTF-8; empty before the first.</summary>
    public ReadOnlySpan<byte> Epoch => _epoch;

    /// <summary>The last entry applied (or positioned at); <see cref="BusEntryId.None"/> before the first.</summary>
    public BusEntryId Last { get; private set; }

    /// <summary>Decides what to do with <paramref name="entry"/>.</summary>
    /// <param name="live">True for an entry from the channel, false for one read from the stream in id order.</param>
    public BusStep Next(in BusEntryView entry, bool live)
    {
        var sameEpoch = entry.Epoch.SequenceEqual(_epoch);
        if (sameEpoch)
        {
            if (entry.Id <= Last)
            {
                return BusStep.Skip;
            }

            if (entry.Previous == Last)
            {
                return BusStep.Apply;
            }

            return live ? BusStep.CatchUp : BusStep.ApplyAfterLoss;
        }

        // A new epoch starts everything again, so what the old one still had after Last no longer matters.
        if (entry.Previous.IsNone)
        {
            return BusStep.StartEpoch;
        }

        return live ? BusStep.CatchUp : BusStep.StartEpochAfterLoss;
    }

    /// <summary>Records <paramref name="entry"/> as applied.</summary>
    public void Applied(in BusEntryView entry)
    {
        if (!entry.Epoch.SequenceEqual(_epoch))
        {
            _epoch = entry.Epoch.ToArray();
        }

        Last = entry.Id;
    }
}
