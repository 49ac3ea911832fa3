using System.Diagnostics;

namespace PriceFeed.Server.Security;

/// <summary>A token bucket: <see cref="Burst"/> tokens at most, refilled at <see cref="RatePerSecond"/>; each event takes one.</summary>
/// <remarks>Refilled lazily from the elapsed <see cref="Stopwatch"/> time when an event asks, so an idle bucket
/// costs nothing (no timer). Not thread-safe: one owner, the channel's event loop.</remarks>
internal struct TokenBucket
{
    private readonly double _ticksPerToken;
    private double _tokens;
    private long _lastRefillTicks;

    public TokenBucket(int ratePerSecond, int burst, long nowTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ratePerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        RatePerSecond = ratePerSecond;
        Burst = burst;
        _ticksPerToken = (double)Stopwatch.Frequency / ratePerSecond;
        _tokens = burst;
        _lastRefillTicks = nowTicks;
    }

    public int RatePerSecond { get; }

    public int Burst { get; }

    /// <summary>Takes a token if one is left at <paramref name="nowTicks"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public bool TryTake(long nowTicks)
    {
        var elapsed = nowTicks - _lastRefillTicks;
        if (elapsed > 0)
        {
            _tokens = Math.Min(Burst, _tokens + (elapsed / _ticksPerToken));
            _lastRefillTicks = nowTicks;
        }

        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
