namespace PriceFeed.Server.Fanout;

/// <summary>Which <c>ServerMessage</c> a frame of quotes is (docs/protocol.md, "Messages": <c>snapshot</c> = 3, <c>quotes</c> = 4, <c>bars</c> = 11).</summary>
internal enum QuoteFrameKind
{
    /// <summary>Live updates: <c>ServerMessage.quotes</c>.</summary>
    Quotes,

    /// <summary>The latest quote of newly accepted symbols: <c>ServerMessage.snapshot</c>.</summary>
    Snapshot,

    /// <summary>Bars: <c>ServerMessage.bars</c> (field 11), a <c>BarBatch</c>.</summary>
    Bars,
}
