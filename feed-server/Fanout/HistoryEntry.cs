namespace PriceFeed.Server.Fanout;

/// <summary>One update taken from the <see cref="SymbolHistory"/> for a replay: its symbol, its seq and its protobuf batch entry.</summary>
internal readonly record struct HistoryEntry(int SymbolId, ulong Seq, byte[] Entry);
