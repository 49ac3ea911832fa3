namespace PriceFeed.Server.Quotes;

/// <summary>The server's clock: Unix time in nanoseconds, as quotes and messages carry it.</summary>
/// <remarks>
/// Built on <see cref="DateTime.UtcNow"/>, like the simulator's and the load tool's, so that times taken in
/// different processes on one machine compare directly (a <see cref="System.Diagnostics.Stopwatch"/> timestamp
/// has no epoch). Its resolution is 100 ns, the tick of <see cref="DateTime"/>. The server keeps its own rather
/// than borrow the simulator library's: the Redis source, the fan-out and the sessions stamp times whatever
/// source runs. Thread-safe.
/// </remarks>
internal static class UnixClock
{
    // DateTime ticks are 100 ns.
    private const long NanosecondsPerTick = 100;

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z, now.</summary>
    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * NanosecondsPerTick;
}
