using System.Globalization;
using DotNetty.Buffers;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// <c>pricefeed.v1.json</c>: text frames holding <c>{"quotes":{"quotes":[e1,e2,...],"sendTimeNs":"..."}}</c> or
/// <c>{"snapshot":{"quotes":[...],"sendTimeNs":"..."}}</c>, where each entry is a JSON object the fan-out
/// encoded once (<see cref="QuoteJsonEncoder"/>).
/// </summary>
/// <remarks>
/// Every entry is appended with a comma in front of it, so appending needs no "is it the first"
/// test. <see cref="Seal"/> then writes the header so that its final <c>[</c> lands on the first
/// entry's comma, and appends the closing <c>]}}</c>. The longer header (<c>snapshot</c>) fills
/// the reserve exactly; the shorter one starts two bytes in.
/// </remarks>
internal sealed class JsonQuoteFrames : QuoteFrameFormat
{
    private static readonly byte[] s_quotesHeader = "{\"quotes\":{\"quotes\":["u8.ToArray();
    private static readonly byte[] s_snapshotHeader = "{\"snapshot\":{\"quotes\":["u8.ToArray();
    private static readonly byte[] s_barsHeader = "{\"bars\":{\"bars\":["u8.ToArray();
    private static readonly byte[] s_trailer = "]}}"u8.ToArray();
    private static readonly byte[] s_sendTimeStart = "],\"sendTimeNs\":\""u8.ToArray();
    private static readonly byte[] s_sendTimeEnd = "\"}}"u8.ToArray();

    /// <summary>The most bytes of a send time: its digits (a sign and 19 digits).</summary>
    private const int MaxTimeDigits = 20;

    private readonly LastValueCache _cache;
    private readonly QuoteLog _log;
    private readonly SymbolTable _symbols;

    public JsonQuoteFrames(LastValueCache cache, QuoteLog log, SymbolTable symbols)
    {
        _cache = cache;
        _log = log;
        _symbols = symbols;
    }

    /// <summary>The longer header without its <c>[</c>, which takes the first entry's comma.</summary>
    protected override int MessageHeaderReserve => s_snapshotHeader.Length - 1;

    /// <summary>An entry and the comma in front of it.</summary>
    public override int MaxEntryBytes => 1 + QuoteJsonEncoder.MaxEntryBytes;

    public override int CopyLatest(int symbolId, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        destination[0] = (byte)',';
        var length = _cache.CopyJsonEntry(symbolId, _symbols.GetUtf8Name(symbolId), destination[1..], out seq, out publishTimeNs);
        return length == 0 ? 0 : 1 + length;
    }

    /// <remarks>The history keeps no JSON (<see cref="SymbolHistory"/>): the protobuf entry is read back and encoded
    /// here, once per replayed update, off the hot path.</remarks>
    public override int CopyReplayed(in HistoryEntry update, Span<byte> destination)
    {
        var position = 0;
        if (QuoteWireReader.NextBatchEntry(update.Entry, ref position, out var bytes) != WireReadResult.Read
            || !QuoteWireReader.TryReadQuote(bytes, out var quote, out _))
        {
            // The fan-out wrote this entry with QuoteEncoder: failing to read it back is a bug, not bad input.
            throw new InvalidOperationException($"A history entry of symbol {update.SymbolId}, seq {update.Seq}, does not read back as a quote.");
        }

        quote.SymbolId = update.SymbolId;
        destination[0] = (byte)',';
        return 1 + QuoteJsonEncoder.WriteEntry(quote, _symbols.GetUtf8Name(update.SymbolId), destination[1..]);
    }

    public override int CopyLogged(long sequence, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        destination[0] = (byte)',';
        var length = _log.CopyJsonEntry(sequence, destination[1..], out seq, out publishTimeNs);
        return length == 0 ? 0 : 1 + length;
    }

    public override int MaxBarEntryBytes => 1 + BarJsonEncoder.MaxEntryBytes;

    public override int WriteBar(ReadOnlySpan<byte> symbol, uint intervalSeconds, in BarValue bar, bool closed, Span<byte> destination)
    {
        destination[0] = (byte)',';
        return 1 + BarJsonEncoder.WriteEntry(symbol, intervalSeconds, bar, closed, destination[1..]);
    }

    public override WebSocketFrame Seal(IByteBuffer frame, QuoteFrameKind kind, long sendTimeNs)
    {
        var header = kind switch
        {
            QuoteFrameKind.Snapshot => s_snapshotHeader,
            QuoteFrameKind.Bars => s_barsHeader,
            _ => s_quotesHeader,
        };
        var start = HeaderReserve + 1 - header.Length;
        if (frame.WriterIndex == HeaderReserve)
        {
            // No entry (an empty history): the header's [ has no comma to land on, so make room for it.
            ByteBuffers.WritableSpan(frame, 1);
            frame.SetWriterIndex(HeaderReserve + 1);
        }

        frame.SetBytes(start, header);
        if (kind == QuoteFrameKind.Bars || sendTimeNs == 0)
        {
            // proto3 JSON leaves a default out.
            frame.WriteBytes(s_trailer);
        }
        else
        {
            // Canonical JSON writes an int64 as a string.
            frame.WriteBytes(s_sendTimeStart);
            sendTimeNs.TryFormat(ByteBuffers.WritableSpan(frame, MaxTimeDigits), out var digits, default, CultureInfo.InvariantCulture);
            frame.SetWriterIndex(frame.WriterIndex + digits);
            frame.WriteBytes(s_sendTimeEnd);
        }

        frame.SetReaderIndex(start);
        return WebSocketFrame.WithHeaderRoom(WebSocketOpcode.Text, frame);
    }
}
