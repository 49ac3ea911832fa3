using PriceFeed.Server.Quotes;
using static PriceFeed.Server.Wire.QuoteJsonEncoder;

namespace PriceFeed.Server.Bars;

/// <summary>
/// Writes a bar as its proto3 canonical JSON object straight into a frame, as Google.Protobuf's formatter writes it
/// without spaces (names in field order, defaults left out, 64-bit integers as strings; the tests pin it). No allocation.
/// </summary>
internal static class BarJsonEncoder
{
    /// <summary>The largest entry: fixed text (110), the symbol escaped in the worst case (32 x 6), two 64-bit integers
    /// of at most 20 characters, two 32-bit ones of at most 10, four doubles of at most 24.</summary>
    public const int MaxEntryBytes = 110 + (SymbolTable.MaxSymbolBytes * 6) + (2 * 20) + (2 * 10) + (4 * 24);

    /// <summary>Writes one bar as a JSON object; returns its length.</summary>
    /// <param name="destination">At least <see cref="MaxEntryBytes"/> long.</param>
    public static int WriteEntry(ReadOnlySpan<byte> symbol, uint intervalSeconds, in BarValue bar, bool closed, Span<byte> destination)
    {
        var position = Write(destination, 0, "{\"symbol\":\""u8);
        position = WriteEscaped(destination, position, symbol);
        destination[position++] = (byte)'"';
        if (intervalSeconds != 0)
        {
            position = Write(destination, position, ",\"intervalS\":"u8);
            intervalSeconds.TryFormat(destination[position..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
            position += written;
        }

        position = WriteInt64StringField(destination, position, ",\"startNs\":\""u8, bar.StartNs);
        position = WriteDoubleField(destination, position, ",\"open\":"u8, bar.Open);
        position = WriteDoubleField(destination, position, ",\"high\":"u8, bar.High);
        position = WriteDoubleField(destination, position, ",\"low\":"u8, bar.Low);
        position = WriteDoubleField(destination, position, ",\"close\":"u8, bar.Close);
        position = WriteInt64StringField(destination, position, ",\"volume\":\""u8, bar.Volume);
        if (bar.Trades != 0)
        {
            position = Write(destination, position, ",\"trades\":"u8);
            bar.Trades.TryFormat(destination[position..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
            position += written;
        }

        if (closed)
        {
            position = Write(destination, position, ",\"closed\":true"u8);
        }

        destination[position++] = (byte)'}';
        return position;
    }
}
