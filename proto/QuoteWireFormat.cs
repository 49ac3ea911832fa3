using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Protocol;

/// <summary>
/// The protobuf wire constants of the quote messages, in one place for the codecs written by hand: the
/// server's <c>QuoteEncoder</c> (one encoding per quote for every subscriber) and <c>QuoteWireReader</c>
/// (the Redis bus, read with no allocation per quote), and the simulator's <c>RedisQuoteSink</c> (which
/// writes each batch entry's tag itself, to slice the entries out for the hash).
/// </summary>
/// <remarks>
/// <para>protobuf.dev, "Encoding": a field's tag is <c>(field number &lt;&lt; 3) | wire type</c>, written as a
/// varint. Every field number here is under 16, so every tag is one byte. The field numbers are the
/// generated classes' own (<c>Quote.SeqFieldNumber</c> and so on), so this file cannot disagree with
/// proto/pricefeed.v1.proto; <c>WireContractTests</c> pins those numbers to docs/protocol.md.</para>
/// <para>Constants only: they are compiled into their users, so the hot path pays nothing for them.</para>
/// </remarks>
public static class QuoteWireFormat
{
    /// <summary>Wire type 0: int32, int64, uint32, uint64, bool, enum.</summary>
    public const int WireVarint = 0;

    /// <summary>Wire type 1: fixed64, sfixed64, double (8 bytes, little-endian).</summary>
    public const int WireFixed64 = 1;

    /// <summary>Wire type 2: string, bytes, embedded messages, packed repeated fields (a varint length, then the bytes).</summary>
    public const int WireLengthDelimited = 2;

    /// <summary>Wire type 5: fixed32, sfixed32, float (4 bytes, little-endian).</summary>
    public const int WireFixed32 = 5;

    /// <summary><c>QuoteBatch.quotes</c> (field 1): one entry per quote, each a length and a <c>Quote</c>.</summary>
    public const byte TagBatchQuotes = (QuoteBatch.QuotesFieldNumber << 3) | WireLengthDelimited;

    /// <summary><c>QuoteBatch.send_time_ns</c> (field 2), varint.</summary>
    public const byte TagBatchSendTime = (QuoteBatch.SendTimeNsFieldNumber << 3) | WireVarint;

    // Quote: the string, the four integers as varints, the six doubles as fixed64.
    public const byte TagSymbol = (Quote.SymbolFieldNumber << 3) | WireLengthDelimited;
    public const byte TagSeq = (Quote.SeqFieldNumber << 3) | WireVarint;
    public const byte TagSourceTime = (Quote.SourceTimeNsFieldNumber << 3) | WireVarint;
    public const byte TagPublishTime = (Quote.PublishTimeNsFieldNumber << 3) | WireVarint;
    public const byte TagBid = (Quote.BidFieldNumber << 3) | WireFixed64;
    public const byte TagAsk = (Quote.AskFieldNumber << 3) | WireFixed64;
    public const byte TagBidSize = (Quote.BidSizeFieldNumber << 3) | WireFixed64;
    public const byte TagAskSize = (Quote.AskSizeFieldNumber << 3) | WireFixed64;
    public const byte TagLast = (Quote.LastFieldNumber << 3) | WireFixed64;
    public const byte TagLastSize = (Quote.LastSizeFieldNumber << 3) | WireFixed64;
    public const byte TagVolume = (Quote.VolumeFieldNumber << 3) | WireVarint;

    /// <summary><c>ServerMessage.snapshot</c> (field 3), a <c>QuoteBatch</c>.</summary>
    public const byte TagSnapshot = (ServerMessage.SnapshotFieldNumber << 3) | WireLengthDelimited;

    /// <summary><c>ServerMessage.quotes</c> (field 4), a <c>QuoteBatch</c>.</summary>
    public const byte TagQuotes = (ServerMessage.QuotesFieldNumber << 3) | WireLengthDelimited;

    // BusEntry (pricefeed.bus.v1.proto): the epoch string, the two ids as four varints, the batch as bytes.
    public const byte TagEntryEpoch = (BusEntry.EpochFieldNumber << 3) | WireLengthDelimited;
    public const byte TagEntryIdMs = (BusEntry.IdMsFieldNumber << 3) | WireVarint;
    public const byte TagEntryIdSeq = (BusEntry.IdSeqFieldNumber << 3) | WireVarint;
    public const byte TagEntryPrevMs = (BusEntry.PrevMsFieldNumber << 3) | WireVarint;
    public const byte TagEntryPrevSeq = (BusEntry.PrevSeqFieldNumber << 3) | WireVarint;
    public const byte TagEntryBatch = (BusEntry.BatchFieldNumber << 3) | WireLengthDelimited;
}
