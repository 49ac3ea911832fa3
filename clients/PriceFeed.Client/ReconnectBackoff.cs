namespace PriceFeed.Client;

/// <summary>Exponential backoff with full jitter: attempt n waits a uniform random time in [0, min(max, base * 2^(n-1))].</summary>
/// <remarks>
/// Full jitter spreads the clients of a restarted server over the whole window instead of bringing
/// them back in synchronised waves; the cap keeps a long outage from growing the wait without bound.
/// </remarks>
internal static class ReconnectBackoff
{
    /// <summary>The wait before attempt <paramref name="attempt"/> (1 for the first retry).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        // 2^30 times any sensible base is past any sensible cap: stop doubling there to avoid overflow.
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ceiling = Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << exponent));
        return TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * ceiling));
    }

    /// <summary>
    /// The wait after a <c>go_away</c>: no sooner than the server asked, plus a uniform jitter up to
    /// <paramref name="baseDelay"/> so that clients told the same time do not come back in the same instant, and
    /// never less than the <paramref name="backoff"/> the attempt would wait anyway.
    /// </summary>
    public static TimeSpan AfterGoAway(TimeSpan reconnectAfter, TimeSpan backoff, TimeSpan baseDelay)
    {
        var hinted = reconnectAfter + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * baseDelay.Ticks));
        return hinted > backoff ? hinted : backoff;
    }
}
