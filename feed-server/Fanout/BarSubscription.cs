using PriceFeed.Server.Bars;

namespace PriceFeed.Server.Fanout;

/// <summary>One client's subscription to the bars of one symbol in one interval: what the fan-out offers a changed bar to.</summary>
/// <remarks>
/// Shared as <see cref="Subscription{T}"/> says: the fan-out flips <c>Pending</c> when the bar changed and links the
/// subscription into its session's bar queue. The fan-out only flags: the drain reads the bars themselves from the
/// <see cref="BarBook"/>, so a subscription pends at most once however often its bar changes (the latest wins), and a
/// closed bar is never lost (it is read from the book's ring of closed bars).
/// </remarks>
internal sealed class BarSubscription(ClientSession session, int symbolId, int interval, long throttleTicks, bool viaWildcard)
    : Subscription<BarSubscription>(session, symbolId, throttleTicks, viaWildcard)
{
    /// <summary>The interval's index in <see cref="BarIntervals.Seconds"/>.</summary>
    public int Interval { get; } = interval;

    // Event loop only below. ThrottleTicks limits the updates of the bar in progress; closed bars are never held back.

    /// <summary>The start of the last closed bar sent (or passed over as history); nothing closed at or before it is sent again.</summary>
    internal long LastClosedStartNs = long.MinValue;

    /// <summary>The bar in progress last sent, to send a change only.</summary>
    internal BarValue LastSentCurrent;
}
