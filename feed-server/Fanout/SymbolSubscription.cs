namespace PriceFeed.Server.Fanout;

/// <summary>One client's subscription to one symbol: the unit the fan-out thread offers quotes to.</summary>
/// <remarks>The threads' split is <see cref="Subscription{T}"/>'s; the drain under <c>conflate</c> also flips
/// <c>Pending</c> when the log lost an update, so the symbol's latest goes out instead.</remarks>
internal sealed class SymbolSubscription(ClientSession session, int symbolId, long throttleTicks, bool viaWildcard)
    : Subscription<SymbolSubscription>(session, symbolId, throttleTicks, viaWildcard)
{
    // Event loop only.

    /// <summary>The last seq sent to the client for this symbol: nothing older or equal is ever sent again.</summary>
    internal ulong LastSentSeq;
}
