using System.Globalization;

namespace PriceFeed.Tests.Codecs.Fuzzing;

/// <summary>How long the fuzz properties run: a short run in every <c>./test.sh</c>, a long one on demand.</summary>
/// <remarks>
/// <para>Short (default): a few thousand inputs per property on one thread, seconds in all, so every test run
/// also fuzzes a little with fresh seeds.</para>
/// <para>Long: <c>PRICEFEED_FUZZ_ITERATIONS=1000000 dotnet test tests/PriceFeed.Tests -c Release --filter Fuzz
/// --logger "console;verbosity=detailed"</c>, on every core; CsCheck prints the iterations and time of each
/// property. A failure prints the shrunk input and a seed; <c>PRICEFEED_FUZZ_SEED=...</c> replays it.</para>
/// </remarks>
internal static class FuzzRun
{
    public const string IterationsVariable = "PRICEFEED_FUZZ_ITERATIONS";
    public const string SeedVariable = "PRICEFEED_FUZZ_SEED";

    /// <summary>Inputs per property in the short run: one to two seconds each on a loaded two-core machine.</summary>
    private const long ShortRunIterations = 5_000;

    /// <summary>Inputs per property.</summary>
    public static long Iterations =>
        long.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : ShortRunIterations;

    /// <summary>One thread for the short run (the rest of the suite runs beside it); every core for a long run.</summary>
    public static int Threads => Environment.GetEnvironmentVariable(IterationsVariable) is null ? 1 : -1;

    /// <summary>A seed to replay, or null for a fresh one.</summary>
    public static string? Seed => Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } seed ? seed : null;
}
