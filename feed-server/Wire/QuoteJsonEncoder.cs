using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Wire;

/// <summary>
/// Writes a quote as its proto3 canonical JSON object once, so every <c>pricefeed.v1.json</c>
/// subscriber's frame is a concatenation of encodings made before (docs/protocol.md, "Endpoint and
/// subprotocols": text frames holding the canonical JSON form of the same messages).
/// </summary>
/// <remarks>
/// <para>The output is what Google.Protobuf's <c>JsonFormatter.Default</c> writes for the same
/// <c>Quote</c>, without the spaces it puts after <c>:</c> and <c>,</c>: lowerCamelCase names in
/// field-number order; fields holding their default value left out; 64-bit integers as strings;
/// doubles as the shortest text that reads back to the same value ("r": a lowercase exponent, as
/// the formatter writes it), non-finite ones as the
/// strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>. The tests pin it against the
/// formatter on random quotes.</para>
/// <para>No allocation: numbers are formatted straight into the destination span.</para>
/// </remarks>
internal static class QuoteJsonEncoder
{
    /// <summary>
    /// The largest entry, so caches can use fixed slots: the fixed text of names, quotes, colons,
    /// commas and braces (127), the symbol escaped in the worst case (32 x 6), four 64-bit integers
    /// of at most 20 characters and six doubles of at most 24 ("-2.2250738585072014E-308"): 543 bytes.
    /// </summary>
    public const int MaxEntryBytes = FixedTextBytes + (SymbolTable.MaxSymbolBytes * 6) + (4 * 20) + (6 * 24);

    private const int FixedTextBytes = 127;

    /// <summary>Writes <paramref name="quote"/> as one JSON object; returns its length.</summary>
    /// <param name="symbol">The symbol's ASCII bytes (<see cref="SymbolTable.IsValid"/>).</param>
    /// <param name="destination">At least <see cref="MaxEntryBytes"/> long.</param>
    public static int WriteEntry(in QuoteEvent quote, ReadOnlySpan<byte> symbol, Span<byte> destination)
    {
        var position = Write(destination, 0, "{\"symbol\":\""u8);
        position = WriteEscaped(destination, position, symbol);
        destination[position++] = (byte)'"';

        position = WriteInt64StringField(destination, position, ",\"seq\":\""u8, quote.Seq);
        position = WriteInt64StringField(destination, position, ",\"sourceTimeNs\":\""u8, quote.SourceTimeNs);
        position = WriteInt64StringField(destination, position, ",\"publishTimeNs\":\""u8, quote.PublishTimeNs);
        position = WriteDoubleField(destination, position, ",\"bid\":"u8, quote.Bid);
        position = WriteDoubleField(destination, position, ",\"ask\":"u8, quote.Ask);
        position = WriteDoubleField(destination, position, ",\"bidSize\":"u8, quote.BidSize);
        position = WriteDoubleField(destination, position, ",\"askSize\":"u8, quote.AskSize);
        position = WriteDoubleField(destination, position, ",\"last\":"u8, quote.Last);
        position = WriteDoubleField(destination, position, ",\"lastSize\":"u8, quote.LastSize);
        position = WriteInt64StringField(destination, position, ",\"volume\":\""u8, quote.Volume);
        destination[position++] = (byte)'}';
        return position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Write(Span<byte> destination, int position, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination[position..]);
        return position + text.Length;
    }

    // Symbols are printable ASCII. JsonFormatter escapes the two characters JSON requires (" and \)
    // and, so that its output can sit inside an HTML script element, < and > as \u00XX: do the same.
    internal static int WriteEscaped(Span<byte> destination, int position, ReadOnlySpan<byte> symbol)
    {
        foreach (var c in symbol)
        {
            switch (c)
            {
                case (byte)'"' or (byte)'\\':
                    destination[position++] = (byte)'\\';
                    destination[position++] = c;
                    break;
                case (byte)'<' or (byte)'>':
                    position = Write(destination, position, "\\u00"u8);
                    destination[position++] = HexDigit(c >> 4);
                    destination[position++] = HexDigit(c & 0xF);
                    break;
                default:
                    destination[position++] = c;
                    break;
            }
        }

        return position;
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);

    // proto3 JSON: 64-bit integers are strings (JavaScript numbers cannot hold them exactly); 0 is left out.
    // Generic over long and ulong; T is a struct, so the JIT makes one copy per type and nothing is boxed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WriteInt64StringField<T>(Span<byte> destination, int position, ReadOnlySpan<byte> nameAndQuote, T value)
        where T : struct, IUtf8SpanFormattable, INumberBase<T>
    {
        if (T.IsZero(value))
        {
            return position;
        }

        position = Write(destination, position, nameAndQuote);
        value.TryFormat(destination[position..], out var written, default, CultureInfo.InvariantCulture);
        position += written;
        destination[position] = (byte)'"';
        return position + 1;
    }

    // JsonFormatter leaves out a double equal to 0 (so -0.0 too, unlike the binary encoding, which
    // compares bit patterns) and writes NaN and the infinities as strings, JSON having no literal for them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int WriteDoubleField(Span<byte> destination, int position, ReadOnlySpan<byte> nameAndColon, double value)
    {
        if (value == 0)
        {
            return position;
        }

        position = Write(destination, position, nameAndColon);
        if (double.IsFinite(value))
        {
            value.TryFormat(destination[position..], out var written, "r", CultureInfo.InvariantCulture);
            return position + written;
        }

        return Write(destination, position, double.IsNaN(value) ? "\"NaN\""u8 : value > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8);
    }
}
