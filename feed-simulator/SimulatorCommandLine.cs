using System.Globalization;
using Microsoft.Extensions.Configuration;
using PriceFeed.Simulation;

namespace PriceFeed.Simulator;

/// <summary>The simulator's command line: reads options from the arguments and from
/// <c>PRICEFEED_*</c> environment variables, the arguments winning.</summary>
/// <remarks>
/// Parsing never throws on bad input: every problem becomes a message that names the option
/// as the user wrote it (<c>--rate</c>, or <c>PRICEFEED_RATE</c> when it came from the environment).
/// </remarks>
internal sealed class SimulatorCommandLine
{
    /// <summary>Prefix of the environment variables read; <c>PRICEFEED_BURST_FACTOR</c> is <c>--burst-factor</c>.</summary>
    public const string EnvironmentPrefix = "PRICEFEED_";

    private static readonly string[] s_options = ["symbols", "rate", "duration", "seed", "burst-factor", "burst-every", "burst-ms", "pacing-slack-ms", "print"];

    public const string Usage = """
        Usage: dotnet run -c Release --project feed-simulator -- [options]

        Produces simulated quotes at a steady, planned rate and reports the rate achieved.

        Options (each also read from the environment as PRICEFEED_<NAME>, e.g. PRICEFEED_RATE,
        PRICEFEED_BURST_FACTOR; the command line wins):
          --symbols N            number of instruments, 1 to 100000 (default 500)
          --rate N               quotes per second, all instruments together, 1 to 1000000 (default 10000)
          --duration SECONDS     stop after this long (default: run until Ctrl+C or SIGTERM)
          --seed N               random seed, for repeatable runs (default: a random one, reported)
          --burst-factor F       rate multiplier during bursts, 1 to 100 (default 1: no bursts)
          --burst-every SECONDS  time between the starts of two bursts (default 10); the first opens the run
          --burst-ms MS          length of each burst in milliseconds (default 500)
          --pacing-slack-ms MS   how late a quote may go out so the pacing thread can sleep instead of
                                 spin (default 0: punctual, one busy core above ~500 quotes/s; 2-5 saves it)
          --print N              print the first N quotes on stdout (default 0)
          --help                 show this text

        Progress and the summary go to stderr, printed quotes to stdout.
        Exit codes: 0 done, 1 the run failed, 2 invalid options.
        """;

    private SimulatorCommandLine(SimulatorOptions options, long print, bool showHelp)
    {
        Options = options;
        Print = print;
        ShowHelp = showHelp;
    }

    /// <summary>The simulator's options.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>How many of the first quotes to print.</summary>
    public long Print { get; }

    /// <summary>True when <c>--help</c> (or <c>-h</c>) was given: show <see cref="Usage"/> and do nothing else.</summary>
    public bool ShowHelp { get; }

    /// <summary>Reads the options from <paramref name="args"/> and the environment; null and messages when they are not valid.</summary>
    public static SimulatorCommandLine? Parse(string[] args, out IReadOnlyList<string> errors)
    {
        var found = new List<string>();
        errors = found;
        if (args.Any(static a => a is "--help" or "-h" or "-?" or "/?"))
        {
            return new SimulatorCommandLine(new SimulatorOptions(), 0, showHelp: true);
        }

        CheckArgumentShape(args, found);
        if (found.Count > 0)
        {
            return null;
        }

        var sources = new Sources(
            new ConfigurationBuilder().AddCommandLine(args).Build(),
            new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build());

        var options = new SimulatorOptions();
        if (sources.Read("symbols", found) is { } symbols && ParseInt(symbols, found) is { } symbolCount)
        {
            options.Symbols = symbolCount;
        }

        if (sources.Read("rate", found) is { } rate && ParseInt(rate, found) is { } rateValue)
        {
            options.Rate = rateValue;
        }

        if (sources.Read("duration", found) is { } duration && ParseDouble(duration, "seconds", found) is { } seconds)
        {
            options.Duration = ToTimeSpan(seconds, TimeSpan.TicksPerSecond);
        }

        if (sources.Read("seed", found) is { } seed)
        {
            if (ulong.TryParse(seed.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seedValue))
            {
                options.Seed = seedValue;
            }
            else
            {
                found.Add($"{seed.Name} must be a whole number from 0 to {ulong.MaxValue} (got '{seed.Value}').");
            }
        }

        if (sources.Read("burst-factor", found) is { } factor && ParseDouble(factor, "multiplier", found) is { } factorValue)
        {
            options.BurstFactor = factorValue;
        }

        if (sources.Read("burst-every", found) is { } every && ParseDouble(every, "seconds", found) is { } everySeconds)
        {
            options.BurstInterval = ToTimeSpan(everySeconds, TimeSpan.TicksPerSecond);
        }

        if (sources.Read("burst-ms", found) is { } length && ParseDouble(length, "milliseconds", found) is { } lengthMs)
        {
            options.BurstLength = ToTimeSpan(lengthMs, TimeSpan.TicksPerMillisecond);
        }

        if (sources.Read("pacing-slack-ms", found) is { } slack && ParseDouble(slack, "milliseconds", found) is { } slackMs)
        {
            options.PacingSlack = ToTimeSpan(slackMs, TimeSpan.TicksPerMillisecond);
        }

        long print = 0;
        if (sources.Read("print", found) is { } printValue && ParseInt(printValue, found) is { } printCount)
        {
            if (printCount < 0)
            {
                found.Add($"{printValue.Name} must be 0 or more quotes (got {printCount}).");
            }

            print = printCount;
        }

        // Range checks even after a syntax error, so that one run reports every problem: an option
        // that did not parse kept its valid default. The options type owns the ranges.
        found.AddRange(options.Validate());

        return found.Count == 0 ? new SimulatorCommandLine(options, print, showHelp: false) : null;
    }

    private static void CheckArgumentShape(string[] args, List<string> errors)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                errors.Add($"unexpected argument '{argument}': options are written --name value or --name=value.");
                continue;
            }

            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? argument[2..] : argument[2..equals];
            if (!s_options.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"unknown option --{name}; the options are --{string.Join(", --", s_options)} and --help.");
            }

            if (equals < 0)
            {
                // "--name value": the value is the next argument, which must not be another option.
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    errors.Add($"--{name} needs a value.");
                }
                else
                {
                    i++;
                }
            }
        }
    }

    private static int? ParseInt(OptionValue option, List<string> errors)
    {
        // Digit groups are allowed ("100_000", "100,000"): rates are easier to read that way.
        var digits = option.Value.Replace("_", "", StringComparison.Ordinal);
        if (int.TryParse(digits, NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{option.Name} must be a whole number (got '{option.Value}').");
        return null;
    }

    private static double? ParseDouble(OptionValue option, string unit, List<string> errors)
    {
        if (double.TryParse(option.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        errors.Add($"{option.Name} must be a number of {unit} (got '{option.Value}').");
        return null;
    }

    // Clamped to about 3,000 years either way, so that an absurd value reaches validation as a
    // large one instead of overflowing TimeSpan.
    private const double MaxTimeSpanTicks = 1e18;

    private static TimeSpan ToTimeSpan(double amount, long ticksPerUnit) =>
        TimeSpan.FromTicks((long)Math.Clamp(amount * ticksPerUnit, -MaxTimeSpanTicks, MaxTimeSpanTicks));

    /// <summary>An option's raw text and the name to show in messages about it.</summary>
    private readonly record struct OptionValue(string Name, string Value);

    private sealed class Sources(IConfiguration commandLine, IConfiguration environment)
    {
        public OptionValue? Read(string option, List<string> errors)
        {
            if (commandLine[option] is { } fromCommandLine)
            {
                return Check(new OptionValue("--" + option, fromCommandLine.Trim()), errors);
            }

            // Environment names cannot hold '-': PRICEFEED_BURST_FACTOR holds burst-factor.
            var environmentKey = option.Replace('-', '_');
            if (environment[environmentKey] is { } fromEnvironment)
            {
                return Check(new OptionValue(EnvironmentPrefix + environmentKey.ToUpperInvariant(), fromEnvironment.Trim()), errors);
            }

            return null;
        }

        private static OptionValue? Check(OptionValue value, List<string> errors)
        {
            if (value.Value.Length > 0)
            {
                return value;
            }

            errors.Add($"{value.Name} is empty; give it a value or leave it out.");
            return null;
        }
    }
}
