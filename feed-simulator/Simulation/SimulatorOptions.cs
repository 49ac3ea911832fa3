using System.Globalization;

namespace PriceFeed.Simulation;

/// <summary>What to simulate and how fast: the simulator's options with their defaults and limits.</summary>
/// <remarks>
/// Error messages from <see cref="Validate"/> name each option as the command line spells it
/// (<c>--rate</c>; <c>PRICEFEED_RATE</c> in the environment), because that is what a user changes.
/// </remarks>
public sealed class SimulatorOptions
{
    /// <summary>The highest rate, all instruments together, bursts included.</summary>
    /// <remarks>1,000,000 quotes/s: about ten times a busy US equity feed's top-of-book rate,
    /// and what one pacing thread sustains with room to spare.</remarks>
    public const int MaxRate = 1_000_000;

    /// <summary>The highest burst factor.</summary>
    /// <remarks>100: a market open is a few times to a few tens of times the day's average rate.</remarks>
    public const double MaxBurstFactor = 100;

    /// <summary>Number of instruments (<c>--symbols</c>), 1 to <see cref="SymbolUniverse.MaxSymbols"/>. Default 500.</summary>
    public int Symbols { get; set; } = 500;

    /// <summary>Quotes per second, all instruments together, outside bursts (<c>--rate</c>), 1 to <see cref="MaxRate"/>. Default 10,000.</summary>
    public int Rate { get; set; } = 10_000;

    /// <summary>How long to produce quotes (<c>--duration</c>); null runs until stopped.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>The random seed (<c>--seed</c>); null draws one, which the simulator reports.</summary>
    public ulong? Seed { get; set; }

    /// <summary>Rate multiplier during a burst (<c>--burst-factor</c>), 1 to <see cref="MaxBurstFactor"/>; 1, the default, means no bursts.</summary>
    public double BurstFactor { get; set; } = 1;

    /// <summary>Time from the start of one burst to the start of the next (<c>--burst-every</c>). Default 10 s.</summary>
    public TimeSpan BurstInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long each burst lasts (<c>--burst-ms</c>), shorter than <see cref="BurstInterval"/>. Default 500 ms.</summary>
    public TimeSpan BurstLength { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How late the pacing loop may publish a quote so that it can sleep instead of
    /// yielding and spinning (<c>--pacing-slack-ms</c>), 0 to <see cref="MaxPacingSlack"/>. Default 0.</summary>
    /// <remarks>
    /// 0 publishes every quote as close to its planned time as the machine allows, which keeps a
    /// core busy whenever quotes are less than ~2 ms apart. A slack of a few ms lets the loop
    /// sleep and publish what fell due in one batch: far less CPU, the same source times, and
    /// up to the slack (plus a sleep's overshoot) added to latencies measured from them.
    /// </remarks>
    public TimeSpan PacingSlack { get; set; } = TimeSpan.Zero;

    /// <summary>The largest <see cref="PacingSlack"/>.</summary>
    /// <remarks>100 ms: beyond that a dashboard sees quotes arrive in visible clumps.</remarks>
    public static readonly TimeSpan MaxPacingSlack = TimeSpan.FromMilliseconds(100);

    /// <summary>True when bursts are configured (<see cref="BurstFactor"/> above 1).</summary>
    public bool HasBursts => BurstFactor > 1;

    /// <summary>The mean rate over whole burst cycles: <see cref="Rate"/> plus what the bursts add.</summary>
    public double MeanRate => HasBursts
        ? Rate * (1 + ((BurstFactor - 1) * BurstLength.TotalSeconds / BurstInterval.TotalSeconds))
        : Rate;

    /// <summary>Checks every option; returns one message per invalid option, none when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Symbols is < 1 or > SymbolUniverse.MaxSymbols)
        {
            errors.Add(Invariant($"--symbols must be between 1 and {SymbolUniverse.MaxSymbols} (got {Symbols})."));
        }

        if (Rate is < 1 or > MaxRate)
        {
            errors.Add(Invariant($"--rate must be between 1 and {MaxRate} quotes per second (got {Rate})."));
        }

        if (Duration is { } duration && duration <= TimeSpan.Zero)
        {
            errors.Add(Invariant($"--duration must be a positive number of seconds (got {duration.TotalSeconds})."));
        }

        if (PacingSlack < TimeSpan.Zero || PacingSlack > MaxPacingSlack)
        {
            errors.Add(Invariant(
                $"--pacing-slack-ms must be between 0 and {MaxPacingSlack.TotalMilliseconds} ms (got {PacingSlack.TotalMilliseconds})."));
        }

        // NaN fails every comparison, so the range test is written to let it through to the error.
        if (!(BurstFactor >= 1 && BurstFactor <= MaxBurstFactor))
        {
            errors.Add(Invariant($"--burst-factor must be between 1 (no bursts) and {MaxBurstFactor} (got {BurstFactor})."));
        }
        else if (HasBursts)
        {
            if (BurstInterval <= TimeSpan.Zero)
            {
                errors.Add(Invariant($"--burst-every must be a positive number of seconds (got {BurstInterval.TotalSeconds})."));
            }

            if (BurstLength <= TimeSpan.Zero || BurstLength >= BurstInterval)
            {
                errors.Add(Invariant(
                    $"--burst-ms must be positive and shorter than --burst-every (got {BurstLength.TotalMilliseconds} ms every {BurstInterval.TotalSeconds} s)."));
            }

            if (Rate * BurstFactor > MaxRate)
            {
                errors.Add(Invariant(
                    $"--rate {Rate} with --burst-factor {BurstFactor} asks {Rate * BurstFactor} quotes per second during bursts; the most is {MaxRate}: lower one of them."));
            }
        }

        return errors;
    }

    /// <summary>Throws when <see cref="Validate"/> finds an invalid option.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid simulator options: " + string.Join(" ", errors));
        }
    }

    private static string Invariant(FormattableString message) => message.ToString(CultureInfo.InvariantCulture);
}
