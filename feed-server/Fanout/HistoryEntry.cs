using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

/// <summary>One update taken from the <see cref="SymbolHistory"/> for a replay: the quote and its protobuf batch entry.</summary>
internal readonly record struct HistoryEntry(QuoteEvent Quote, byte[] Entry);
