using PriceFeed.Server.Ring;

namespace PriceFeed.Server.Hosting;

/// <summary>What the server runs: where it listens, where quotes come from, how slow clients are treated.</summary>
/// <remarks>
/// Names, defaults and meanings follow CONTRACT.md ("Command line of the server"); options the
/// contract does not name are ours and documented in README.md. Read with <see cref="Load"/>,
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
        new("source", "sim", "sim: the built-in simulator"),
        new("symbols", "500", "simulator: number of instruments"),
        new("rate", "10000", "simulator: quotes per second, all symbols together"),
        new("duration", "none", "simulator: stop producing after this many seconds (the server keeps serving)"),
        new("seed", "random", "simulator: random seed, for repeatable runs"),
        new("pacing-slack-ms", "1", "simulator: how late a batch may leave its planned time so the thread can sleep, not spin (0: punctual, one core busy)"),
        new("policy", "conflate", "slow-consumer policy: conflate or drop"),
        new("queue-capacity", "1024", "per-client bound on pending updates"),
        new("slow-consumer-grace-ms", "10000", "a client unable to take updates for this long is closed with 4001"),
        new("ring-size", "65536", "slots in the quote ring (a power of two)"),
        new("wait-strategy", "spin-then-block", "how the fan-out thread waits for quotes: busy-spin, yielding, blocking, spin-then-block"),
        new("max-symbols-per-client", "10000", "most symbols one client may subscribe to; past it, rejected with reason limit"),
        new("max-symbols", "65536", "most distinct symbols the server will ever hold"),
        new("server-id", "host name and port", "identifies this node in hello and /healthz"),
        new("log-level", "Information", "Trace, Debug, Information, Warning, Error"),
        new("config", "none", "JSON file with any of these options (command line and environment win over it)"),
    ];

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8080;

    public string Source { get; init; } = "sim";

    public int Symbols { get; init; } = 500;

    public int Rate { get; init; } = 10_000;

    /// <summary>Seconds after which the simulator stops producing; null: never.</summary>
    public double? Duration { get; init; }

    /// <summary>Simulator seed; null: a random one, logged at start-up.</summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Simulator: how late a batch may leave, so its thread sleeps between batches. 1 ms: on two cores a
    /// spinning simulator would take a core from the fan-out and the event loops; quotes keep their
    /// planned <c>source_time_ns</c>, so latency measured from it still shows the delay.
    /// </summary>
    public int PacingSlackMs { get; init; } = 1;

    /// <summary><c>conflate</c> or <c>drop</c>.</summary>
    public string Policy { get; init; } = "conflate";

    public int QueueCapacity { get; init; } = 1024;

    public int SlowConsumerGraceMs { get; init; } = 10_000;

    public int RingSize { get; init; } = 65_536;

    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategyKind.SpinThenBlock;

    public int MaxSymbols { get; init; } = 65_536;

    public int MaxSymbolsPerClient { get; init; } = 10_000;

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
            Source = values.GetChoice("source", "sim", "sim"),
            Symbols = values.GetInt32("symbols", 500, 1, 100_000),
            Rate = values.GetInt32("rate", 10_000, 1, 1_000_000),
            Duration = values.GetDouble("duration", 0, 365 * 86_400),
            Seed = values.GetInt64("seed", long.MinValue, long.MaxValue),
            PacingSlackMs = values.GetInt32("pacing-slack-ms", 1, 0, 100),
            Policy = values.GetChoice("policy", "conflate", "conflate", "drop"),
            QueueCapacity = values.GetInt32("queue-capacity", 1024, 1, 1 << 20),
            SlowConsumerGraceMs = values.GetInt32("slow-consumer-grace-ms", 10_000, 10, 3_600_000),
            RingSize = values.GetInt32("ring-size", 65_536, 2, 1 << 24),
            WaitStrategy = ReadWaitStrategy(values),
            MaxSymbols = values.GetInt32("max-symbols", 65_536, 1, 1 << 20),
            MaxSymbolsPerClient = values.GetInt32("max-symbols-per-client", 10_000, 1, 1 << 20),
            ServerId = values.GetString("server-id"),
            LogLevel = values.GetChoice("log-level", "Information", "Trace", "Debug", "Information", "Warning", "Error"),
            Limits = FeedServerLimits.Read(values),
        };

        if (!int.IsPow2(options.RingSize))
        {
            values.Fail("ring-size", $"{options.RingSize} is not a power of two (try {(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)options.RingSize)}).");
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

    private static WaitStrategyKind ReadWaitStrategy(OptionValues values)
    {
        var raw = values.GetString("wait-strategy");
        if (raw is null)
        {
            return WaitStrategyKind.SpinThenBlock;
        }

        if (WaitStrategies.TryParse(raw, out var kind))
        {
            return kind;
        }

        values.Fail("wait-strategy", $"'{raw}' is not a wait strategy; expected one of {WaitStrategies.ValidNames}.");
        return WaitStrategyKind.SpinThenBlock;
    }
}
