using PriceFeed.Server.Bars;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

/// <summary>What every client session shares: the caches it reads quotes from, its bounds, the metrics it feeds, the history a
/// resume replays from (null: resume is off), the bars and the symbols' names they are sent with (null: no bars).</summary>
internal sealed record FanoutContext(
    LastValueCache Cache,
    QuoteLog Log,
    bool DropOldest,
    int QueueCapacity,
    int SlowConsumerGraceMs,
    ServerMetrics Metrics,
    SymbolHistory? History = null,
    BarBook? Bars = null,
    SymbolTable? Symbols = null);
