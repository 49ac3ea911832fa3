using PriceFeed.CommandLine;
using PriceFeed.Simulation;

namespace PriceFeed.Simulator;

/// <summary>The simulator's command line: the server's convention (<c>--name value</c>, <c>PRICEFEED_NAME</c>
/// in the environment, the command line winning), each option declared once.</summary>
/// <remarks>
/// The ranges belong to <see cref="SimulatorOptions"/>, which the server's simulator shares: here an option only
/// says what kind of value it takes, and <see cref="SimulatorOptions.Validate"/> checks the values it binds.
/// Defaults are <see cref="SimulatorOptions"/>' own, except the pacing slack, which is the server's.
/// </remarks>
internal sealed class SimulatorCommandLine
{
    private static readonly SimulatorOptions s_defaults = new();

    private static readonly OptionSpec<int> s_symbols = new(
        "symbols", s_defaults.Symbols, ValueReaders.WholeNumber<int>(), $"number of instruments, 1 to {SymbolUniverse.MaxSymbols}");
    private static readonly OptionSpec<int> s_rate = new(
        "rate", s_defaults.Rate, ValueReaders.WholeNumber<int>(),
        $"quotes per second, all instruments together, 1 to {SimulatorOptions.MaxRate}");
    private static readonly OptionSpec<double?> s_duration = new(
        "duration", null, ValueReaders.Optional(ValueReaders.Number()), "seconds to run", "until Ctrl+C or SIGTERM");
    private static readonly OptionSpec<ulong?> s_seed = new(
        "seed", s_defaults.Seed, ValueReaders.Optional(ValueReaders.WholeNumber<ulong>()), "random seed, for repeatable runs", "a random one, reported");
    private static readonly OptionSpec<double> s_burstFactor = new(
        "burst-factor", s_defaults.BurstFactor, ValueReaders.Number(),
        $"rate multiplier during bursts, 1 to {SimulatorOptions.MaxBurstFactor} (1: no bursts)");
    private static readonly OptionSpec<double> s_burstEvery = new(
        "burst-every", s_defaults.BurstInterval.TotalSeconds, ValueReaders.Number(),
        "seconds between the starts of two bursts; the first opens the run");
    private static readonly OptionSpec<double> s_burstMs = new(
        "burst-ms", s_defaults.BurstLength.TotalMilliseconds, ValueReaders.Number(), "length of each burst in milliseconds");
    // 2 ms, the server's default for the same option: 1 ms of slack still spun a core at 10,000 quotes/s, because
    // the shortest sleep .NET offers is 1 ms and it ends late. Source times stay the planned ones.
    private static readonly OptionSpec<double> s_pacingSlackMs = new(
        "pacing-slack-ms", 2, ValueReaders.Number(),
        $"how late a quote may go out so the pacing thread can sleep instead of spin, 0 to {SimulatorOptions.MaxPacingSlack.TotalMilliseconds} (0: punctual, one busy core above ~500 quotes/s)");
    private static readonly OptionSpec<int> s_print = new(
        "print", 0, ValueReaders.WholeNumber(0, int.MaxValue), "print the first N quotes on stdout");
    private static readonly OptionSpec<string?> s_redis = new OptionSpec<string?>(
        "redis", null, ValueReaders.OptionalText,
        "publish the quotes on the Redis bus (HOST:PORT) that feed-server --source redis reads (docs/scale-out.md)",
        "publish nowhere, only count")
        .Must(IsRedisEndpoint, _ => "is not a Redis endpoint; expected HOST:PORT");
    private static readonly OptionSpec<double> s_busHistory = new OptionSpec<double>(
        "bus-history", 30, ValueReaders.Number(),
        $"seconds of batches the Redis stream keeps for nodes that were cut off, 1 to {MaxBusHistorySeconds} (docs/scale-out.md: about 30 MB of Redis memory at 10,000 quotes/s)")
        .Must(static s => s is >= 1 and <= MaxBusHistorySeconds, _ => $"must be from 1 to {MaxBusHistorySeconds} seconds");

    private static readonly OptionSet s_commandLine = new(
        "feed-simulator",
        "Produces simulated quotes at a steady, planned rate and reports the rate achieved. Every option can also be "
        + "set by its PRICEFEED_<NAME> environment variable; the command line wins. Progress and the summary go to "
        + "stderr, printed quotes to stdout. Exit codes: 0 done, 1 the run failed, 2 invalid options.",
        [s_symbols, s_rate, s_duration, s_seed, s_burstFactor, s_burstEvery, s_burstMs, s_pacingSlackMs, s_print, s_redis, s_busHistory]);

    /// <summary>An hour: at 200,000 quotes/s that is already gigabytes of stream in Redis.</summary>
    private const int MaxBusHistorySeconds = 3_600;

    private SimulatorCommandLine(SimulatorOptions options, long print, bool showHelp, string? redis = null, TimeSpan busHistory = default)
    {
        Options = options;
        Print = print;
        ShowHelp = showHelp;
        Redis = redis;
        BusHistory = busHistory;
    }

    /// <summary>The <c>--help</c> text: what the simulator does, then every option with its default and variable.</summary>
    public static string Usage => s_commandLine.HelpText();

    /// <summary>Every option, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<OptionSpec> Specs => s_commandLine.Specs;

    /// <summary>The simulator's options.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>How many of the first quotes to print.</summary>
    public long Print { get; }

    /// <summary>The Redis bus to publish on (HOST:PORT), or null.</summary>
    public string? Redis { get; }

    /// <summary>How long the bus's stream keeps a batch (<c>XADD ... MINID ~</c>).</summary>
    public TimeSpan BusHistory { get; }

    /// <summary>True when <c>--help</c> (or <c>-h</c>) was given: show <see cref="Usage"/> and do nothing else.</summary>
    public bool ShowHelp { get; }

    /// <summary>Reads the options from <paramref name="args"/> and the environment; null and messages when they are not valid.</summary>
    /// <param name="environment">The environment to read <c>PRICEFEED_*</c> from; the process's own when null.</param>
    public static SimulatorCommandLine? Parse(
        IReadOnlyList<string> args, out IReadOnlyList<string> errors, IReadOnlyDictionary<string, string>? environment = null)
    {
        var values = s_commandLine.Parse(args, environment);
        errors = values.Errors;
        if (values.HelpRequested)
        {
            return new SimulatorCommandLine(new SimulatorOptions(), 0, showHelp: true);
        }

        var options = new SimulatorOptions
        {
            Symbols = values.Get(s_symbols),
            Rate = values.Get(s_rate),
            Duration = values.Get(s_duration) is { } seconds ? ToTimeSpan(seconds, TimeSpan.TicksPerSecond) : null,
            Seed = values.Get(s_seed),
            BurstFactor = values.Get(s_burstFactor),
            BurstInterval = ToTimeSpan(values.Get(s_burstEvery), TimeSpan.TicksPerSecond),
            BurstLength = ToTimeSpan(values.Get(s_burstMs), TimeSpan.TicksPerMillisecond),
            PacingSlack = ToTimeSpan(values.Get(s_pacingSlackMs), TimeSpan.TicksPerMillisecond),
        };

        // Range checks even after a syntax error, so that one run reports every problem: an option
        // that did not parse kept its valid default. The options type owns the ranges.
        values.AddErrors(options.Validate());
        return values.Errors.Count == 0
            ? new SimulatorCommandLine(options, values.Get(s_print), showHelp: false, values.Get(s_redis), ToTimeSpan(values.Get(s_busHistory), TimeSpan.TicksPerSecond))
            : null;
    }

    private static bool IsRedisEndpoint(string? value)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(value!).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Clamped to about 3,000 years either way, so that an absurd value reaches validation as a
    // large one instead of overflowing TimeSpan.
    private const double MaxTimeSpanTicks = 1e18;

    private static TimeSpan ToTimeSpan(double amount, long ticksPerUnit) =>
        TimeSpan.FromTicks((long)Math.Clamp(amount * ticksPerUnit, -MaxTimeSpanTicks, MaxTimeSpanTicks));
}
