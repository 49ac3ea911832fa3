using DotNetty.Buffers;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// <c>pricefeed.v1.proto</c>: binary frames holding a <c>ServerMessage</c> whose <c>QuoteBatch</c>
/// is the protobuf batch entries back to back (<see cref="QuoteEncoder"/>), then its <c>send_time_ns</c>.
/// </summary>
/// <remarks>
/// The header (tag and body length) is known only once the frame is full, and its length depends
/// on the body's: the frame reserves the longest header and <see cref="Seal"/> writes the actual
/// one right-aligned in front of the entries, so nothing is ever moved.
/// </remarks>
internal sealed class ProtobufQuoteFrames : QuoteFrameFormat
{
    private readonly LastValueCache _cache;
    private readonly QuoteLog _log;

    public ProtobufQuoteFrames(LastValueCache cache, QuoteLog log)
    {
        _cache = cache;
        _log = log;
    }

    protected override int MessageHeaderReserve => QuoteEncoder.MaxMessageHeaderBytes;

    public override int MaxEntryBytes => QuoteEncoder.MaxEntryBytes;

    public override int CopyLatest(int symbolId, Span<byte> destination, out ulong seq, out long publishTimeNs) =>
        _cache.CopyEntry(symbolId, destination, out seq, out publishTimeNs);

    public override int CopyReplayed(in HistoryEntry update, Span<byte> destination)
    {
        update.Entry.CopyTo(destination);
        return update.Entry.Length;
    }

    public override int CopyLogged(long sequence, Span<byte> destination, out ulong seq, out long publishTimeNs) =>
        _log.CopyEntry(sequence, destination, out seq, out publishTimeNs);

    public override int MaxBarEntryBytes => BarEncoder.MaxEntryBytes;

    public override int WriteBar(ReadOnlySpan<byte> symbol, uint intervalSeconds, in BarValue bar, bool closed, Span<byte> destination) =>
        BarEncoder.WriteEntry(symbol, intervalSeconds, bar, closed, destination);

    public override WebSocketFrame Seal(IByteBuffer frame, QuoteFrameKind kind, long sendTimeNs)
    {
        var tag = kind switch
        {
            QuoteFrameKind.Snapshot => QuoteEncoder.TagSnapshot,
            QuoteFrameKind.Bars => BarEncoder.TagBars,
            _ => QuoteEncoder.TagQuotes,
        };
        if (kind != QuoteFrameKind.Bars)
        {
            frame.SetWriterIndex(frame.WriterIndex + QuoteEncoder.WriteBatchSendTime(ByteBuffers.WritableSpan(frame, QuoteEncoder.MaxSendTimeBytes), sendTimeNs));
        }

        var reserve = HeaderReserve;
        var bodyLength = frame.WriterIndex - reserve;
        var start = reserve - QuoteEncoder.MessageHeaderLength(bodyLength);
        frame.SetWriterIndex(start);
        QuoteEncoder.WriteMessageHeader(ByteBuffers.WritableSpan(frame, reserve - start), tag, bodyLength);
        frame.SetWriterIndex(reserve + bodyLength);
        frame.SetReaderIndex(start);
        return WebSocketFrame.WithHeaderRoom(WebSocketOpcode.Binary, frame);
    }
}
