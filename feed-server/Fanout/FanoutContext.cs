using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Fanout;

/// <summary>What every client session shares: the caches it reads quotes from, its bounds, the metrics it feeds.</summary>
internal sealed record FanoutContext(
    LastValueCache Cache,
    QuoteLog Log,
    bool DropOldest,
    int QueueCapacity,
    int SlowConsumerGraceMs,
    ServerMetrics Metrics);
