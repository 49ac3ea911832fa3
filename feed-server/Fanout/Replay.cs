namespace PriceFeed.Server.Fanout;

/// <summary>A resumed symbol's missed updates, oldest first, to send before its live ones (<see cref="ClientSession.WriteReplays"/>).</summary>
/// <param name="Subscription">The subscription the updates continue.</param>
/// <param name="AfterSeq">The last seq the client holds: the updates follow it with no gap.</param>
/// <param name="Updates">Every update after <paramref name="AfterSeq"/> the server had, in seq order; empty when the client is up to date.</param>
internal sealed record Replay(SymbolSubscription Subscription, ulong AfterSeq, List<HistoryEntry> Updates);
