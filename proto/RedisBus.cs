namespace PriceFeed.Protocol;

/// <summary>The Redis names of the scale-out bus: what a publisher writes and every node reads (docs/scale-out.md).</summary>
/// <remarks>
/// <para>Everything under one versioned prefix, so a later layout can live beside this one on the same Redis.</para>
/// <list type="table">
/// <item><term><see cref="QuotesChannel"/></term><description>pub/sub channel; each message is one
/// <c>pricefeed.v1.QuoteBatch</c> in binary protobuf, many quotes, <c>publish_time_ns</c> left 0 (each node
/// stamps its own).</description></item>
/// <item><term><see cref="LastKey"/></term><description>hash: symbol -> that symbol's latest <c>pricefeed.v1.Quote</c>
/// in binary protobuf; the shared last-value cache a node loads before serving and heals gaps from.</description></item>
/// <item><term><see cref="SymbolsKey"/></term><description>set: every symbol of the session, written before its first quote.</description></item>
/// </list>
/// <para>The publisher writes a batch's quotes into <see cref="LastKey"/> before it publishes the batch, on the same
/// connection, so Redis applies them in that order: whoever receives a message finds the hash at least as new.</para>
/// </remarks>
public static class RedisBus
{
    public const string QuotesChannel = "pricefeed:v1:quotes";

    public const string LastKey = "pricefeed:v1:last";

    public const string SymbolsKey = "pricefeed:v1:symbols";
}
