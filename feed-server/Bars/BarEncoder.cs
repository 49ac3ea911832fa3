using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;
using static PriceFeed.Server.Wire.QuoteEncoder;

namespace PriceFeed.Server.Bars;

/// <summary>
/// Writes a bar as protobuf bytes straight into a frame: one element of <c>BarBatch.bars</c> (docs/protocol.md, "Bars"),
/// byte for byte what Google.Protobuf writes for the same <c>Bar</c> (the tests pin it). No allocation.
/// </summary>
internal static class BarEncoder
{
    /// <summary>The largest entry: tag and 2-byte length (3), symbol (2 + 32), interval (1 + 5), start (11), four
    /// doubles (4 x 9), volume (11), trades (6), closed (2) = 109 bytes.</summary>
    public const int MaxEntryBytes = 3 + 2 + SymbolTable.MaxSymbolBytes + 6 + 11 + (4 * 9) + 11 + 6 + 2;

    /// <summary><c>ServerMessage.bars</c> (field 11), a <c>BarBatch</c>.</summary>
    public const byte TagBars = (ServerMessage.BarsFieldNumber << 3) | QuoteWireFormat.WireLengthDelimited;

    private const byte TagEntry = (BarBatch.BarsFieldNumber << 3) | QuoteWireFormat.WireLengthDelimited;
    private const byte TagSymbol = (Bar.SymbolFieldNumber << 3) | QuoteWireFormat.WireLengthDelimited;
    private const byte TagInterval = (Bar.IntervalSFieldNumber << 3) | QuoteWireFormat.WireVarint;
    private const byte TagStart = (Bar.StartNsFieldNumber << 3) | QuoteWireFormat.WireVarint;
    private const byte TagOpen = (Bar.OpenFieldNumber << 3) | QuoteWireFormat.WireFixed64;
    private const byte TagHigh = (Bar.HighFieldNumber << 3) | QuoteWireFormat.WireFixed64;
    private const byte TagLow = (Bar.LowFieldNumber << 3) | QuoteWireFormat.WireFixed64;
    private const byte TagClose = (Bar.CloseFieldNumber << 3) | QuoteWireFormat.WireFixed64;
    private const byte TagVolume = (Bar.VolumeFieldNumber << 3) | QuoteWireFormat.WireVarint;
    private const byte TagTrades = (Bar.TradesFieldNumber << 3) | QuoteWireFormat.WireVarint;
    private const byte TagClosed = (Bar.ClosedFieldNumber << 3) | QuoteWireFormat.WireVarint;

    /// <summary>Writes one <c>BarBatch.bars</c> entry; returns its length.</summary>
    /// <param name="destination">At least <see cref="MaxEntryBytes"/> long.</param>
    public static int WriteEntry(ReadOnlySpan<byte> symbol, uint intervalSeconds, in BarValue bar, bool closed, Span<byte> destination)
    {
        var length = symbol.Length == 0 ? 0 : 2 + symbol.Length;
        length += VarintFieldLength(intervalSeconds) + VarintFieldLength((ulong)bar.StartNs);
        length += DoubleFieldLength(bar.Open) + DoubleFieldLength(bar.High) + DoubleFieldLength(bar.Low) + DoubleFieldLength(bar.Close);
        length += VarintFieldLength(bar.Volume) + VarintFieldLength(bar.Trades) + (closed ? 2 : 0);

        destination[0] = TagEntry;
        var position = 1 + WriteVarint(destination[1..], (uint)length);
        if (symbol.Length != 0)
        {
            destination[position++] = TagSymbol;
            destination[position++] = (byte)symbol.Length; // at most 32: one varint byte
            symbol.CopyTo(destination[position..]);
            position += symbol.Length;
        }

        position = WriteVarintField(destination, position, TagInterval, intervalSeconds);
        position = WriteVarintField(destination, position, TagStart, (ulong)bar.StartNs);
        position = WriteDoubleField(destination, position, TagOpen, bar.Open);
        position = WriteDoubleField(destination, position, TagHigh, bar.High);
        position = WriteDoubleField(destination, position, TagLow, bar.Low);
        position = WriteDoubleField(destination, position, TagClose, bar.Close);
        position = WriteVarintField(destination, position, TagVolume, bar.Volume);
        position = WriteVarintField(destination, position, TagTrades, bar.Trades);
        if (closed)
        {
            destination[position++] = TagClosed;
            destination[position++] = 1;
        }

        return position;
    }
}
