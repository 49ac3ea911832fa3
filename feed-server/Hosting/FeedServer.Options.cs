using PriceFeed.Server.Session;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Server.Transport;
using PriceFeed.Simulation;

namespace PriceFeed.Server.Hosting;

// What each part is given of the options: the source --source names, and the sessions' and the transport's options.
internal sealed partial class FeedServer
{
    /// <summary>The source <c>--source</c> names.</summary>
    private static readonly QuoteSourceFactory s_createSource = (options, symbols, ring, loggerFactory) => options.Source switch
    {
        QuoteSourceKind.Redis => new RedisQuoteSource(options.Redis, symbols, ring, loggerFactory.CreateLogger("PriceFeed.Server.Sources.Redis")),
        _ => new SimulatorQuoteSource(
            new SimulatorOptions
            {
                Symbols = options.Symbols,
                Rate = options.Rate,
                Duration = options.Duration is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                Seed = options.Seed is { } seed ? unchecked((ulong)seed) : null,
                PacingSlack = TimeSpan.FromMilliseconds(options.PacingSlackMs),
            },
            symbols,
            ring,
            loggerFactory.CreateLogger("PriceFeed.Server.Sources")),
    };

    /// <summary>What the sessions need of <paramref name="options"/>.</summary>
    private static SessionOptions SessionOptionsOf(FeedServerOptions options) => new()
    {
        Policy = FeedServerOptions.NameOf(options.Policy),
        MaxSymbolsPerClient = options.MaxSymbolsPerClient,
        HeartbeatIntervalMs = options.Limits.HeartbeatIntervalMs,
        CloseTimeoutMs = options.Limits.CloseTimeoutMs,
        MaxMessageBytes = options.Limits.MaxMessageBytes,
        ControlMessagesPerSecond = options.Limits.ControlMessagesPerSecond,
        ControlBurst = options.Limits.ControlBurst,
        AllowedOrigins = options.AllowedOrigins,
        Tokens = options.Tokens,
    };

    /// <summary>What the transport needs of <paramref name="options"/>.</summary>
    private static TransportOptions TransportOptionsOf(FeedServerOptions options) => new()
    {
        Host = options.Host,
        Port = options.Port,
        TlsCertificate = options.TlsCertificate,
        MaxConnections = options.Limits.MaxConnections,
        MaxConnectionsPerIp = options.Limits.MaxConnectionsPerIp,
        HandshakeTimeout = TimeSpan.FromMilliseconds(options.Limits.HandshakeTimeoutMs),
        MaxRequestLineBytes = options.Limits.MaxRequestLineBytes,
        MaxHeaderBytes = options.Limits.MaxHeaderBytes,
        CloseTimeout = TimeSpan.FromMilliseconds(options.Limits.CloseTimeoutMs),
        MaxQueuedBytes = options.Limits.MaxQueuedBytes,
    };
}
