namespace PriceFeed.Protocol;

/// <summary>The Redis names of the scale-out bus: what a publisher writes and every node reads (docs/scale-out.md).</summary>
/// <remarks>
/// <para>Everything under one versioned prefix, so a later layout can live beside this one on the same Redis.</para>
/// <list type="table">
/// <item><term><see cref="StreamKey"/></term><description>stream: one entry per batch, field <see cref="EntryField"/>
/// holding a <c>pricefeed.bus.v1.BusEntry</c> (epoch, this entry's id, the previous entry's id, the
/// <c>QuoteBatch</c>); ids chosen by the publisher, trimmed to the last <c>--bus-history</c> seconds. A node that
/// missed messages reads the entries after the last one it applied.</description></item>
/// <item><term><see cref="QuotesChannel"/></term><description>pub/sub channel; each message is the same
/// <c>BusEntry</c> bytes as the stream entry: the live path, no round trip.</description></item>
/// <item><term><see cref="LastKey"/></term><description>hash: symbol -> that symbol's latest <c>pricefeed.v1.Quote</c>
/// in binary protobuf; the shared last-value cache a node loads before serving, and falls back to when the stream
/// no longer holds what it missed.</description></item>
/// <item><term><see cref="SymbolsKey"/></term><description>set: every symbol of the session, written before its first quote.</description></item>
/// </list>
/// <para>The publisher sends, for each batch and on one connection, <c>HSET</c> <see cref="LastKey"/>, <c>XADD</c>
/// <see cref="StreamKey"/>, then <c>PUBLISH</c>; Redis applies them in that order, so whoever receives a message finds
/// the hash at least as new and the entry already in the stream.</para>
/// </remarks>
public static class RedisBus
{
    /// <summary>A publisher with nothing to send for this long publishes a heartbeat (a <c>BusEntry</c> with its epoch
    /// alone) on the channel, so that nodes tell a silent publisher from a quiet market.</summary>
    public const int HeartbeatIntervalMs = 1_000;

    /// <summary>A node that heard nothing from its publisher for this long says its feed is stale (<c>publisher_silent</c>).</summary>
    public const int SilentAfterMs = 3 * HeartbeatIntervalMs;

    public const string QuotesChannel = "pricefeed:v1:quotes";

    public const string StreamKey = "pricefeed:v1:stream";

    /// <summary>The one field of a stream entry: its <c>BusEntry</c> bytes.</summary>
    public const string EntryField = "m";

    public const string LastKey = "pricefeed:v1:last";

    public const string SymbolsKey = "pricefeed:v1:symbols";
}
