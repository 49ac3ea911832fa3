using Microsoft.Extensions.Logging;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Session;

/// <summary>What every connection of one server shares: its settings, the server's id, the fan-out's door for a new
/// client, the subscription service, the metrics it feeds and the log.</summary>
/// <remarks>Built once by the host; immutable, and each part is safe from every event loop.</remarks>
internal sealed record SessionContext(
    SessionOptions Options,
    IServerStatus Server,
    ClientSessionFactory Fanout,
    SubscriptionService Subscriptions,
    ServerMetrics Metrics,
    ILogger Logger);
