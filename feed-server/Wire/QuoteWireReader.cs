using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PriceFeed.Protocol;
using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using static PriceFeed.Protocol.QuoteWireFormat;

namespace PriceFeed.Server.Wire;

/// <summary>Reads <c>pricefeed.bus.v1.BusEntry</c>, <c>pricefeed.v1.QuoteBatch</c> and <c>pricefeed.v1.Quote</c> bytes
/// straight from a span.</summary>
/// <remarks>
/// <para>Hand-rolled rather than the generated parser so that decoding a bus message allocates
/// nothing per quote: the symbol stays a byte span (the caller maps it to an id, the Redis source through
/// its symbol cache) and the fields go straight into a <see cref="QuoteEvent"/>.</para>
/// <para>Protobuf rules followed (protobuf.dev, "Encoding"): fields may come in any order and a later
/// one wins; a field left out holds its default (proto3); unknown fields are skipped by wire type, so
/// a publisher that adds fields does not break older nodes; groups (wire types 3 and 4) and
/// truncated or over-long varints are malformed. Methods return false on malformed input, never throw.</para>
/// </remarks>
internal static class QuoteWireReader
{
    // Wire types (WireVarint, ...) are QuoteWireFormat's, field numbers the generated classes'.

    /// <summary>
    /// True for a publisher's heartbeat (docs/scale-out.md, "Heartbeat"): a <c>BusEntry</c> with its epoch and nothing
    /// else, published (never streamed) when the publisher had nothing to send for a heartbeat interval.
    /// </summary>
    public static bool IsHeartbeat(ReadOnlySpan<byte> bytes)
    {
        var position = 0;
        return TryReadTag(bytes, ref position, out var field, out var wireType)
            && field == BusEntry.EpochFieldNumber && wireType == WireLengthDelimited
            && TryReadLengthDelimited(bytes, ref position, out var epoch)
            && !epoch.IsEmpty && position == bytes.Length;
    }

    /// <summary>Reads a bus entry's envelope: epoch, ids and the batch's bytes, as spans into <paramref name="bytes"/>.</summary>
    /// <returns>False when the bytes are malformed, a field has the wrong wire type, or the entry has no id.</returns>
    public static bool TryReadBusEntry(ReadOnlySpan<byte> bytes, out BusEntryView entry)
    {
        entry = default;
        ReadOnlySpan<byte> epoch = default, batch = default;
        ulong idMs = 0, idSeq = 0, prevMs = 0, prevSeq = 0;
        var position = 0;
        while (position < bytes.Length)
        {
            if (!TryReadTag(bytes, ref position, out var field, out var wireType))
            {
                return false;
            }

            var ok = (field, wireType) switch
            {
                (BusEntry.EpochFieldNumber, WireLengthDelimited) => TryReadLengthDelimited(bytes, ref position, out epoch),
                (BusEntry.IdMsFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out idMs),
                (BusEntry.IdSeqFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out idSeq),
                (BusEntry.PrevMsFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out prevMs),
                (BusEntry.PrevSeqFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out prevSeq),
                (BusEntry.BatchFieldNumber, WireLengthDelimited) => TryReadLengthDelimited(bytes, ref position, out batch),
                ( >= BusEntry.EpochFieldNumber and <= BusEntry.BatchFieldNumber, _) => false,
                _ => TrySkip(bytes, ref position, wireType),
            };
            if (!ok)
            {
                return false;
            }
        }

        var id = new BusEntryId(idMs, idSeq);
        if (id.IsNone)
        {
            return false;
        }

        entry = new BusEntryView(epoch, id, new BusEntryId(prevMs, prevSeq), batch);
        return true;
    }

    /// <summary>
    /// Reads the next <c>quotes</c> entry of a <c>QuoteBatch</c> at <paramref name="position"/> and moves past it.
    /// </summary>
    /// <returns><see cref="WireReadResult.Read"/> with the quote's bytes, <see cref="WireReadResult.End"/> at the
    /// end of the batch, <see cref="WireReadResult.Malformed"/> when the bytes are not a <c>QuoteBatch</c>.</returns>
    public static WireReadResult NextBatchEntry(ReadOnlySpan<byte> batch, ref int position, out ReadOnlySpan<byte> quote)
    {
        quote = default;
        while (position < batch.Length)
        {
            if (!TryReadTag(batch, ref position, out var field, out var wireType))
            {
                return WireReadResult.Malformed;
            }

            if (field == QuoteBatch.QuotesFieldNumber && wireType == WireLengthDelimited)
            {
                if (!TryReadLengthDelimited(batch, ref position, out quote))
                {
                    return WireReadResult.Malformed;
                }

                return WireReadResult.Read;
            }

            if (!TrySkip(batch, ref position, wireType))
            {
                return WireReadResult.Malformed;
            }
        }

        return WireReadResult.End;
    }

    /// <summary>Reads one <c>Quote</c> into <paramref name="quote"/> (all but the symbol id) and its symbol's bytes.</summary>
    /// <returns>False when the bytes are malformed or a field has the wrong wire type.</returns>
    public static bool TryReadQuote(ReadOnlySpan<byte> bytes, out QuoteEvent quote, out ReadOnlySpan<byte> symbol)
    {
        quote = default;
        symbol = default;
        var position = 0;
        while (position < bytes.Length)
        {
            if (!TryReadTag(bytes, ref position, out var field, out var wireType))
            {
                return false;
            }

            var ok = (field, wireType) switch
            {
                (Quote.SymbolFieldNumber, WireLengthDelimited) => TryReadLengthDelimited(bytes, ref position, out symbol),
                (Quote.SeqFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out quote.Seq),
                (Quote.SourceTimeNsFieldNumber, WireVarint) => TryReadInt64(bytes, ref position, out quote.SourceTimeNs),
                (Quote.PublishTimeNsFieldNumber, WireVarint) => TryReadInt64(bytes, ref position, out quote.PublishTimeNs),
                (Quote.BidFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.Bid),
                (Quote.AskFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.Ask),
                (Quote.BidSizeFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.BidSize),
                (Quote.AskSizeFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.AskSize),
                (Quote.LastFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.Last),
                (Quote.LastSizeFieldNumber, WireFixed64) => TryReadDouble(bytes, ref position, out quote.LastSize),
                (Quote.VolumeFieldNumber, WireVarint) => TryReadVarint(bytes, ref position, out quote.Volume),
                ( >= Quote.SymbolFieldNumber and <= Quote.VolumeFieldNumber, _) => false,
                _ => TrySkip(bytes, ref position, wireType),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadTag(ReadOnlySpan<byte> bytes, ref int position, out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (!TryReadVarint(bytes, ref position, out var tag) || tag > uint.MaxValue)
        {
            return false;
        }

        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        // Field numbers start at 1.
        return field > 0;
    }

    private static bool TryReadLengthDelimited(ReadOnlySpan<byte> bytes, scoped ref int position, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(bytes, ref position, out var length) || length > (ulong)(bytes.Length - position))
        {
            return false;
        }

        value = bytes.Slice(position, (int)length);
        position += (int)length;
        return true;
    }

    private static bool TrySkip(ReadOnlySpan<byte> bytes, ref int position, int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                return TryReadVarint(bytes, ref position, out _);
            case WireFixed64:
                return TryAdvance(bytes, ref position, 8);
            case WireLengthDelimited:
                return TryReadLengthDelimited(bytes, ref position, out _);
            case WireFixed32:
                return TryAdvance(bytes, ref position, 4);
            default:
                // 3 and 4 are the deprecated groups, 6 and 7 do not exist: nothing a Quote or QuoteBatch holds.
                return false;
        }
    }

    private static bool TryAdvance(ReadOnlySpan<byte> bytes, ref int position, int count)
    {
        if (bytes.Length - position < count)
        {
            return false;
        }

        position += count;
        return true;
    }

    private static bool TryReadDouble(ReadOnlySpan<byte> bytes, ref int position, out double value)
    {
        if (bytes.Length - position < 8)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadDoubleLittleEndian(bytes[position..]);
        position += 8;
        return true;
    }

    // int64 fields are varints of the two's complement value: a negative one takes all ten bytes.
    private static bool TryReadInt64(ReadOnlySpan<byte> bytes, ref int position, out long value)
    {
        var ok = TryReadVarint(bytes, ref position, out var raw);
        value = unchecked((long)raw);
        return ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadVarint(ReadOnlySpan<byte> bytes, ref int position, out ulong value)
    {
        value = 0;
        // A varint is at most ten bytes (64 bits, 7 per byte).
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= bytes.Length)
            {
                return false;
            }

            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
