using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using static PriceFeed.Protocol.QuoteWireFormat;

namespace PriceFeed.Server.Wire;

/// <summary>
/// Writes a quote as protobuf bytes once, so every subscriber's frame is a concatenation of
/// encodings made before (docs/protocol.md, "Messages": pricefeed.v1.Quote).
/// </summary>
/// <remarks>
/// <para>The unit it writes is a <em>batch entry</em>: the bytes of one element of
/// <c>QuoteBatch.quotes</c> (tag 1, wire type 2, the length, then the Quote). A repeated
/// field is its entries back to back, so a <c>quotes</c> or <c>snapshot</c> message is a
/// header (<see cref="WriteMessageHeader"/>) followed by entries copied as they are.</para>
/// <para>The output is byte for byte what Google.Protobuf writes for the same message (proto3:
/// fields holding their default value are left out; fields in number order); the tests pin it.
/// No allocation: the symbol's bytes come from the symbol table.</para>
/// </remarks>
internal static class QuoteEncoder
{
    /// <summary>
    /// The largest entry: tag and 2-byte length (3), symbol (2 + 32), two int64 and two uint64
    /// varint fields (4 x 11), six doubles (6 x 9) = 135 bytes. A fixed bound lets caches use fixed slots.
    /// </summary>
    public const int MaxEntryBytes = 3 + 2 + SymbolTable.MaxSymbolBytes + (4 * 11) + (6 * 9);

    /// <summary>The largest header of a <c>ServerMessage</c> with a <c>QuoteBatch</c> body: tag and a 5-byte length.</summary>
    public const int MaxMessageHeaderBytes = 6;

    // The protobuf tags (TagSymbol, TagSeq, ...) are QuoteWireFormat's, shared with the Redis bus reader.

    /// <summary>The most bytes <see cref="WriteBatchSendTime"/> writes: the tag and a 10-byte varint.</summary>
    public const int MaxSendTimeBytes = 11;

    /// <summary><c>ServerMessage.snapshot</c> (field 3) and <c>ServerMessage.quotes</c> (field 4), length-delimited.</summary>
    public const byte TagSnapshot = QuoteWireFormat.TagSnapshot;
    public const byte TagQuotes = QuoteWireFormat.TagQuotes;

    /// <summary>Writes one batch entry for <paramref name="quote"/>; returns its length.</summary>
    /// <param name="destination">At least <see cref="MaxEntryBytes"/> long.</param>
    public static int WriteBatchEntry(in QuoteEvent quote, ReadOnlySpan<byte> symbol, Span<byte> destination)
    {
        var quoteLength = QuoteLength(quote, symbol.Length);
        destination[0] = TagBatchQuotes;
        var position = 1 + WriteVarint(destination[1..], (uint)quoteLength);

        destination[position++] = TagSymbol;
        destination[position++] = (byte)symbol.Length; // at most 32: one varint byte
        symbol.CopyTo(destination[position..]);
        position += symbol.Length;

        position = WriteVarintField(destination, position, TagSeq, quote.Seq);
        position = WriteVarintField(destination, position, TagSourceTime, (ulong)quote.SourceTimeNs);
        position = WriteVarintField(destination, position, TagPublishTime, (ulong)quote.PublishTimeNs);
        position = WriteDoubleField(destination, position, TagBid, quote.Bid);
        position = WriteDoubleField(destination, position, TagAsk, quote.Ask);
        position = WriteDoubleField(destination, position, TagBidSize, quote.BidSize);
        position = WriteDoubleField(destination, position, TagAskSize, quote.AskSize);
        position = WriteDoubleField(destination, position, TagLast, quote.Last);
        position = WriteDoubleField(destination, position, TagLastSize, quote.LastSize);
        position = WriteVarintField(destination, position, TagVolume, quote.Volume);
        return position;
    }

    /// <summary>
    /// Writes <c>QuoteBatch.send_time_ns</c>, to follow the batch's entries (a message's fields may come in
    /// any order); returns its length, 0 for 0 (proto3 leaves a default out).
    /// </summary>
    /// <param name="destination">At least <see cref="MaxSendTimeBytes"/> long.</param>
    public static int WriteBatchSendTime(Span<byte> destination, long sendTimeNs) =>
        WriteVarintField(destination, 0, TagBatchSendTime, (ulong)sendTimeNs);

    /// <summary>The length of the header <see cref="WriteMessageHeader"/> writes for a body of <paramref name="bodyLength"/> bytes.</summary>
    public static int MessageHeaderLength(int bodyLength) => 1 + VarintLength((uint)bodyLength);

    /// <summary>
    /// Writes the header of a <c>ServerMessage</c> whose body is a <c>QuoteBatch</c> of
    /// <paramref name="bodyLength"/> bytes of entries: <paramref name="tag"/> then the length.
    /// </summary>
    public static int WriteMessageHeader(Span<byte> destination, byte tag, int bodyLength)
    {
        destination[0] = tag;
        return 1 + WriteVarint(destination[1..], (uint)bodyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarintLength(ulong value) => value == 0 ? 1 : ((63 - System.Numerics.BitOperations.LeadingZeroCount(value)) / 7) + 1;

    private static int QuoteLength(in QuoteEvent quote, int symbolLength)
    {
        var length = 2 + symbolLength;
        length += VarintFieldLength(quote.Seq);
        length += VarintFieldLength((ulong)quote.SourceTimeNs);
        length += VarintFieldLength((ulong)quote.PublishTimeNs);
        length += DoubleFieldLength(quote.Bid) + DoubleFieldLength(quote.Ask);
        length += DoubleFieldLength(quote.BidSize) + DoubleFieldLength(quote.AskSize);
        length += DoubleFieldLength(quote.Last) + DoubleFieldLength(quote.LastSize);
        length += VarintFieldLength(quote.Volume);
        return length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int VarintFieldLength(ulong value) => value == 0 ? 0 : 1 + VarintLength(value);

    // proto3 leaves out a double equal to its default, 0; Google.Protobuf compares bit patterns, so -0.0 is written.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int DoubleFieldLength(double value) => BitConverter.DoubleToInt64Bits(value) == 0 ? 0 : 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WriteVarintField(Span<byte> destination, int position, byte tag, ulong value)
    {
        if (value == 0)
        {
            return position;
        }

        destination[position] = tag;
        return position + 1 + WriteVarint(destination[(position + 1)..], value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WriteDoubleField(Span<byte> destination, int position, byte tag, double value)
    {
        if (BitConverter.DoubleToInt64Bits(value) == 0)
        {
            return position;
        }

        destination[position] = tag;
        BinaryPrimitives.WriteDoubleLittleEndian(destination[(position + 1)..], value);
        return position + 9;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }
}
