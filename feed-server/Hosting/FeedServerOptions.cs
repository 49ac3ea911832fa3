using System.Security.Cryptography.X509Certificates;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Hosting;

/// <summary>What the server runs: where it listens, where quotes come from, how slow clients are treated.</summary>
/// <remarks>
/// Names, defaults and meanings follow docs/protocol.md ("Command line of the server"); options that
/// page does not list are ours and documented in README.md. Read with <see cref="Load"/>,
/// which validates everything and names the option at fault.
/// </remarks>
internal sealed record FeedServerOptions
{
    /// <summary>Every option the command line accepts, in the order <c>--help</c> lists them.</summary>
    public static readonly IReadOnlyList<OptionSpec> Specs = [.. OwnSpecs(), .. FeedServerLimits.Specs];

    private static OptionSpec[] OwnSpecs() =>
    [
        new("host", "127.0.0.1", "address to listen on"),
        new("port", "8080", "HTTP and WebSocket port (0: any free port)"),
        new("source", "sim", "sim: the built-in simulator; redis: quotes from the Redis bus (docs/scale-out.md)"),
        new("symbols", "500", "simulator: number of instruments"),
        new("rate", "10000", "simulator: quotes per second, all symbols together"),
        new("duration", "none", "simulator: stop producing after this many seconds (the server keeps serving)"),
        new("seed", "random", "simulator: random seed, for repeatable runs"),
        new("pacing-slack-ms", "2", "simulator: how late a batch may leave its planned time so the thread can sleep, not spin (0: punctual, one core busy)"),
        new("redis", "localhost:6379", "Redis connection (HOST:PORT) for --source redis"),
        new("policy", "conflate", "slow-consumer policy: conflate or drop"),
        new("queue-capacity", "1024", "per-client bound on pending updates"),
        new("slow-consumer-grace-ms", "10000", "a client unable to take updates for this long is closed with 4001"),
        new("ring-size", "65536", "slots in the quote ring (a power of two)"),
        new("wait-strategy", "event-loop", "how the fan-out waits for quotes: event-loop (no thread of its own: it runs on an event loop), or on a thread: busy-spin, yielding, blocking, spin-then-block"),
        new("max-symbols-per-client", "10000", "most symbols one client may subscribe to; past it, rejected with reason limit"),
        new("max-symbols", "65536", "most distinct symbols the server will ever hold"),
        new("auth-secret", "none", "HS256 key (32 bytes or more); when set, every /ws upgrade needs a token"),
        new("token-clock-skew-s", "30", "seconds of clock difference tolerated around a token's exp and nbf"),
        new("allowed-origins", "any", "comma-separated browser origins allowed to open /ws; others get 403"),
        new("tls-cert", "none", "certificate, PFX or PEM: serve https:// and wss://"),
        new("tls-key", "none", "private key of a PEM --tls-cert (left out when the PEM file holds both)"),
        new("server-id", "host name and port", "identifies this node in hello and /healthz"),
        new("log-level", "Information", "Trace, Debug, Information, Warning, Error"),
        new("config", "none", "JSON file with any of these options (command line and environment win over it)"),
    ];

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8080;

    /// <summary><c>sim</c> or <c>redis</c>.</summary>
    public string Source { get; init; } = "sim";

    /// <summary>The Redis bus for <c>--source redis</c>, in StackExchange.Redis's configuration syntax (HOST:PORT at its simplest).</summary>
    public string Redis { get; init; } = "localhost:6379";

    public int Symbols { get; init; } = 500;

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

    /// <summary><c>conflate</c> or <c>drop</c>.</summary>
    public string Policy { get; init; } = "conflate";

    public int QueueCapacity { get; init; } = 1024;

    public int SlowConsumerGraceMs { get; init; } = 10_000;

    public int RingSize { get; init; } = 65_536;

    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategies.Default;

    public int MaxSymbols { get; init; } = 65_536;

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

    /// <summary>Reads and validates the options; <paramref name="errors"/> lists every mistake, each naming its option.</summary>
    public static FeedServerOptions Load(
        IReadOnlyList<string> args,
        out IReadOnlyList<string> errors,
        out bool helpRequested,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var values = OptionValues.Load(args, [.. Specs], environment);
        helpRequested = values.HelpRequested;

        var options = new FeedServerOptions
        {
            Host = values.GetString("host", "127.0.0.1"),
            Port = values.GetInt32("port", 8080, 0, 65_535),
            Source = values.GetChoice("source", "sim", "sim", "redis"),
            Redis = values.GetString("redis", "localhost:6379"),
            Symbols = values.GetInt32("symbols", 500, 1, 100_000),
            Rate = values.GetInt32("rate", 10_000, 1, 1_000_000),
            Duration = values.GetDouble("duration", 0, 365 * 86_400),
            Seed = values.GetInt64("seed", long.MinValue, long.MaxValue),
            PacingSlackMs = values.GetInt32("pacing-slack-ms", 2, 0, 100),
            Policy = values.GetChoice("policy", "conflate", "conflate", "drop"),
            QueueCapacity = values.GetInt32("queue-capacity", 1024, 1, 1 << 20),
            SlowConsumerGraceMs = values.GetInt32("slow-consumer-grace-ms", 10_000, 10, 3_600_000),
            RingSize = values.GetInt32("ring-size", 65_536, 2, 1 << 24),
            WaitStrategy = ReadWaitStrategy(values),
            MaxSymbols = values.GetInt32("max-symbols", 65_536, 1, 1 << 20),
            MaxSymbolsPerClient = values.GetInt32("max-symbols-per-client", 10_000, 1, 1 << 20),
            Tokens = ReadTokens(values),
            AllowedOrigins = ReadAllowedOrigins(values),
            TlsCertificate = ReadTlsCertificate(values),
            ServerId = values.GetString("server-id"),
            LogLevel = values.GetChoice("log-level", "Information", "Trace", "Debug", "Information", "Warning", "Error"),
            Limits = FeedServerLimits.Read(values),
        };

        if (!int.IsPow2(options.RingSize))
        {
            values.Fail("ring-size", $"{options.RingSize} is not a power of two (try {(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)options.RingSize)}).");
        }

        if (options.Source == "redis" && !IsRedisConfiguration(options.Redis))
        {
            values.Fail("redis", $"'{options.Redis}' is not a Redis connection; expected HOST:PORT, e.g. localhost:6379.");
        }

        if (options.Symbols > options.MaxSymbols)
        {
            values.Fail("symbols", $"{options.Symbols} is more than --max-symbols ({options.MaxSymbols}); raise --max-symbols.");
        }

        errors = values.Errors;
        return options;
    }

    /// <summary>The <c>--help</c> text: usage, then every option with its default and environment variable.</summary>
    public static string HelpText()
    {
        var lines = new List<string>
        {
            "PriceFeed server: broadcasts market quotes to WebSocket clients.",
            "",
            "Usage: dotnet run -c Release --project feed-server -- [options]",
            "",
            "Options (also PRICEFEED_<NAME> environment variables, or keys of a --config JSON file):",
        };
        foreach (var spec in Specs)
        {
            lines.Add($"  --{spec.Name,-16} {spec.Help} (default: {spec.Default}; env {spec.EnvironmentVariable})");
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static bool IsRedisConfiguration(string value)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(value).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static TokenValidator? ReadTokens(OptionValues values)
    {
        var skewSeconds = values.GetInt32("token-clock-skew-s", 30, 0, 3_600);
        var secret = values.GetString("auth-secret");
        if (secret is null)
        {
            return null;
        }

        // Only the length is reported: the value is a secret and error messages end up in logs.
        var length = System.Text.Encoding.UTF8.GetByteCount(secret);
        if (length < TokenValidator.MinSecretBytes)
        {
            values.Fail(
                "auth-secret",
                $"the HS256 key is {length} bytes; it must be at least {TokenValidator.MinSecretBytes} (RFC 7518 3.2). "
                + "Generate one with: openssl rand -base64 48");
            return null;
        }

        return new TokenValidator(secret, TimeSpan.FromSeconds(skewSeconds));
    }

    private static OriginPolicy ReadAllowedOrigins(OptionValues values)
    {
        var list = values.GetString("allowed-origins");
        if (list is null)
        {
            return OriginPolicy.Any;
        }

        if (!OriginPolicy.TryParse(list, out var policy, out var error))
        {
            values.Fail("allowed-origins", error);
        }

        return policy;
    }

    private static X509Certificate2? ReadTlsCertificate(OptionValues values)
    {
        var certPath = values.GetString("tls-cert");
        var keyPath = values.GetString("tls-key");
        if (certPath is null)
        {
            if (keyPath is not null)
            {
                values.Fail("tls-key", "is set without --tls-cert; give the certificate too.");
            }

            return null;
        }

        if (!TlsCertificates.TryLoad(certPath, keyPath, out var certificate, out var faultyOption, out var error))
        {
            values.Fail(faultyOption, error);
        }

        return certificate;
    }

    private static WaitStrategyKind ReadWaitStrategy(OptionValues values)
    {
        var raw = values.GetString("wait-strategy");
        if (raw is null)
        {
            return WaitStrategies.Default;
        }

        if (WaitStrategies.TryParse(raw, out var kind))
        {
            return kind;
        }

        values.Fail("wait-strategy", $"'{raw}' is not a wait strategy; expected one of {WaitStrategies.ValidNames}.");
        return WaitStrategies.Default;
    }
}
