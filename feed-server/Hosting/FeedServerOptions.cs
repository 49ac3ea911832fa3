using System.Security.Cryptography.X509Certificates;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Hosting;

/// <summary>What the server runs: where it listens, where quotes come from, how slow clients are treated.</summary>
/// <remarks>
/// Each default is written here once, with its reason where the value is a choice; the command line, the
/// environment and a <c>--config</c> file set the rest (<see cref="Load"/>, which validates everything and names
/// the option at fault). Names, defaults and meanings follow docs/protocol.md ("Command line of the server");
/// options that page does not list are ours and documented in README.md ("Options and limits").
/// </remarks>
internal sealed partial record FeedServerOptions
{
    /// <summary>127.0.0.1: reachable from this machine only until an operator asks for more.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>8080: the contract's default, an unprivileged port.</summary>
    public int Port { get; init; } = 8080;

    public QuoteSourceKind Source { get; init; } = QuoteSourceKind.Sim;

    /// <summary>The Redis bus for <c>--source redis</c>, in StackExchange.Redis's configuration syntax (HOST:PORT at
    /// its simplest). localhost:6379: Redis's own default port on this machine.</summary>
    public string Redis { get; init; } = "localhost:6379";

    /// <summary>Simulator: 500 instruments, the contract's default.</summary>
    public int Symbols { get; init; } = 500;

    /// <summary>Simulator: 10,000 quotes a second, the contract's default.</summary>
    public int Rate { get; init; } = 10_000;

    /// <summary>Seconds after which the simulator stops producing; null: never.</summary>
    public double? Duration { get; init; }

    /// <summary>Simulator seed; null: a random one, logged at start-up.</summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Simulator: how late a batch may leave, so its thread sleeps between batches. 2 ms: the shortest wait
    /// .NET offers is 1 ms and it ends a little late, so 1 ms of slack still left the thread spinning a whole
    /// core at 10,000 quotes/s (measured); on two cores that core belongs to the fan-out and the event loops.
    /// Quotes keep their planned <c>source_time_ns</c>, so latency measured from it still shows the delay.
    /// </summary>
    public int PacingSlackMs { get; init; } = 2;

    /// <summary>Conflate: a slow client still converges on every symbol's latest quote and loses nothing it needs.</summary>
    public SlowConsumerPolicy Policy { get; init; } = SlowConsumerPolicy.Conflate;

    /// <summary>Under <c>drop</c>, the updates a client may have pending; 1,024: the contract's default.</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>
    /// Updates kept per symbol for clients that resume (docs/protocol.md, "Resume"); 0: no resume. 1,024: measured at
    /// the default rate (10,000 quotes/s over 500 symbols, two 10 s runs), the busiest simulated symbol ticked 187 and
    /// 408 times a second and the median one 13, so 1,024 covers a client away 2.5 s on the busiest symbol and over a
    /// minute on the median one. Memory: 155 bytes an update (SymbolHistory.BytesPerEntry), 155 KB per symbol,
    /// allocated as symbols appear: 78 MB for 500 symbols, at most 10 GB for the default --max-symbols of 65,536.
    /// </summary>
    public int ResumeDepth { get; init; } = 1024;

    /// <summary>
    /// Closed bars kept per symbol and interval (docs/protocol.md, "Bars"), and the most <c>history</c> a client may ask
    /// for; 0: no bars. 1,000: the contract's bound. Memory: 56 bytes a bar, 4 intervals, 224 KB per symbol that
    /// appears (112 MB for the simulator's 500 symbols).
    /// </summary>
    public int BarHistory { get; init; } = 1000;

    /// <summary>
    /// How long after a bar's end, by the server's clock, the server closes it when no later trade of its symbol did:
    /// 20 ms lets a quote stamped just before the boundary arrive (from the bus) before its bar closes, and keeps the
    /// close well within the contract's 100 ms.
    /// </summary>
    public int BarCloseDelayMs { get; init; } = 20;

    /// <summary>How long a client may be unable to take updates before 4001; 10 s: the contract's default.</summary>
    public int SlowConsumerGraceMs { get; init; } = 10_000;

    /// <summary>
    /// On shutdown, the window the clients' <c>go_away.reconnect_after_ms</c> are spread over (docs/protocol.md,
    /// "Go-away"): client <c>i</c> of <c>n</c> is told to come back after <c>i x this / n</c> ms. 5 s: 5,000 clients
    /// of a restarted node come back at about 1,000 a second instead of all in the same instant; 0: no spread.
    /// </summary>
    public int DrainSpreadMs { get; init; } = 5_000;

    /// <summary>65,536 slots: smaller rings made the producer wait on the consumer more often in the benchmarks.</summary>
    public int RingSize { get; init; } = 65_536;

    /// <summary>The default's reason is on <see cref="WaitStrategies.Default"/>.</summary>
    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategies.Default;

    /// <summary>65,536: the caches are sized from it at start-up, one slot per symbol.</summary>
    public int MaxSymbols { get; init; } = 65_536;

    /// <summary>Named symbols one client may hold; 10,000: the contract's default.</summary>
    public int MaxSymbolsPerClient { get; init; } = 10_000;

    /// <summary>Checks tokens when <c>--auth-secret</c> is set; null: no authentication. Holds the secret, never prints it.</summary>
    public TokenValidator? Tokens { get; init; }

    /// <summary>Browser origins allowed to open <c>/ws</c>.</summary>
    public OriginPolicy AllowedOrigins { get; init; } = OriginPolicy.Any;

    /// <summary>The certificate of <c>--tls-cert</c>; null: plain http and ws.</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    public string? ServerId { get; init; }

    public string LogLevel { get; init; } = "Information";

    public FeedServerLimits Limits { get; init; } = new();
}
