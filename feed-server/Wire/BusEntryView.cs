using PriceFeed.Protocol;

namespace PriceFeed.Server.Wire;

/// <summary>A <c>pricefeed.bus.v1.BusEntry</c> read in place (<see cref="QuoteWireReader.TryReadBusEntry"/>): spans
/// into the message, nothing copied.</summary>
internal readonly ref struct BusEntryView
{
    public BusEntryView(ReadOnlySpan<byte> epoch, BusEntryId id, BusEntryId previous, ReadOnlySpan<byte> batch)
    {
        Epoch = epoch;
        Id = id;
        Previous = previous;
        Batch = batch;
    }

    /// <summary>The publisher's session, UTF-8.</summary>
    public ReadOnlySpan<byte> Epoch { get; }

    /// <summary>This entry's stream id.</summary>
    public BusEntryId Id { get; }

    /// <summary>The previous entry's id in the same epoch; <see cref="BusEntryId.None"/> for the epoch's first.</summary>
    public BusEntryId Previous { get; }

    /// <summary>The <c>QuoteBatch</c>, read with <see cref="QuoteWireReader.NextBatchEntry"/>.</summary>
    public ReadOnlySpan<byte> Batch { get; }
}
