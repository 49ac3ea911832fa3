using DotNetty.Buffers;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// How a session's frames of quotes are laid out in its subprotocol: the only part of sending
/// quotes that differs between <c>pricefeed.v1.proto</c> and <c>pricefeed.v1.json</c>.
/// </summary>
/// <remarks>
/// <para>A <see cref="ClientSession"/> builds every frame the same way whatever its format: it
/// leaves <see cref="HeaderReserve"/> bytes free, appends entries that the fan-out encoded once
/// (copied from the <see cref="LastValueCache"/> or the <see cref="QuoteLog"/>, never serialized
/// for this client), and then lets <see cref="Seal"/> write the message around them.</para>
/// <para>One instance per format and server, shared by all its sessions; stateless after
/// construction, so any event loop may use it.</para>
/// </remarks>
internal abstract class QuoteFrameFormat
{
    /// <summary>Bytes left free at the start of a frame: room for the WebSocket frame's header, then for the message's.</summary>
    /// <remarks>The WebSocket header goes in front of the message's (<see cref="WebSocketFrame.WithHeaderRoom"/>), so a
    /// frame of quotes leaves the server as the one buffer it was built in.</remarks>
    public int HeaderReserve => WebSocketFrameEncoder.MaxHeaderBytes + MessageHeaderReserve;

    /// <summary>The most bytes of the message's header in front of its entries.</summary>
    protected abstract int MessageHeaderReserve { get; }

    /// <summary>The most bytes one call to <see cref="CopyLatest"/> or <see cref="CopyLogged"/> may write.</summary>
    public abstract int MaxEntryBytes { get; }

    /// <summary>Appends the symbol's latest entry to <paramref name="destination"/>; returns its length, 0 if the symbol has no quote yet.</summary>
    public abstract int CopyLatest(int symbolId, Span<byte> destination, out ulong seq, out long publishTimeNs);

    /// <summary>Appends the entry of ring sequence <paramref name="sequence"/> from the drop log; returns its length, 0 if it was overwritten.</summary>
    public abstract int CopyLogged(long sequence, Span<byte> destination, out ulong seq, out long publishTimeNs);

    /// <summary>Appends an update replayed from the <see cref="SymbolHistory"/>; returns its length.</summary>
    public abstract int CopyReplayed(in HistoryEntry update, Span<byte> destination);

    /// <summary>The most bytes one call to <see cref="WriteBar"/> may write.</summary>
    public abstract int MaxBarEntryBytes { get; }

    /// <summary>Appends one bar (docs/protocol.md, "Bars") to <paramref name="destination"/>; returns its length.</summary>
    public abstract int WriteBar(ReadOnlySpan<byte> symbol, uint intervalSeconds, in BarValue bar, bool closed, Span<byte> destination);

    /// <summary>Writes the message around the entries of <paramref name="frame"/> (at least one) and wraps it as a WebSocket frame.</summary>
    /// <param name="sendTimeNs">The batch's <c>send_time_ns</c>: when the server built this message, Unix ns.</param>
    public abstract WebSocketFrame Seal(IByteBuffer frame, QuoteFrameKind kind, long sendTimeNs);
}
