namespace PriceFeed.Simulation;

/// <summary>The one clock that source, server and load tool share: Unix time in nanoseconds.</summary>
/// <remarks>
/// Built on <see cref="DateTime.UtcNow"/> so that times taken in different processes on the
/// same machine compare directly (a <see cref="System.Diagnostics.Stopwatch"/> timestamp has no
/// epoch). Its resolution is 100 ns, the tick of <see cref="DateTime"/>. Thread-safe.
/// </remarks>
public static class UnixTime
{
    // DateTime ticks are 100 ns.
    private const long NanosecondsPerTick = 100;

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z, now.</summary>
    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * NanosecondsPerTick;

    /// <summary>The UTC <see cref="DateTime"/> of a Unix time in nanoseconds (truncated to 100 ns).</summary>
    public static DateTime ToDateTime(long unixNs) =>
        new(DateTime.UnixEpoch.Ticks + (unixNs / NanosecondsPerTick), DateTimeKind.Utc);
}
