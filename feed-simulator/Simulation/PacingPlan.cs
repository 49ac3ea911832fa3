namespace PriceFeed.Simulation;

/// <summary>When each quote of a run is due: quote i's time as an offset from the start, in ns.</summary>
/// <remarks>
/// <para>The plan is fixed before the run, so a quote's time never depends on when the loop got
/// to it: a stalled loop catches up with quotes that keep their planned times, and latency
/// measured from them includes the stall (no coordinated omission).</para>
/// <para>Without bursts quote i is due at i / rate. With bursts the time line is a cycle of
/// <c>BurstInterval</c> that opens with <c>BurstLength</c> at rate x factor, like a market open,
/// then runs at the base rate: cycle k starts at k x interval and holds a fixed number of
/// quotes, so quote i's time is found without walking the quotes before it. Immutable.</para>
/// </remarks>
internal sealed class PacingPlan
{
    private const double NanosecondsPerSecond = 1e9;

    private readonly double _rate;
    private readonly bool _hasBursts;
    private readonly double _burstRate;
    private readonly double _burstSeconds;
    private readonly double _intervalSeconds;
    private readonly double _quotesPerBurst;
    private readonly double _quotesPerCycle;

    public PacingPlan(SimulatorOptions options)
    {
        _rate = options.Rate;
        _hasBursts = options.HasBursts;
        _burstRate = options.Rate * options.BurstFactor;
        _burstSeconds = options.BurstLength.TotalSeconds;
        _intervalSeconds = options.BurstInterval.TotalSeconds;
        _quotesPerBurst = _burstRate * _burstSeconds;
        _quotesPerCycle = _quotesPerBurst + (_rate * (_intervalSeconds - _burstSeconds));
    }

    /// <summary>Offset from the start of the run, in ns, at which quote <paramref name="index"/> (0-based) is due.</summary>
    public long TimeOfNs(long index)
    {
        if (!_hasBursts)
        {
            return (long)Math.Round(index * NanosecondsPerSecond / _rate);
        }

        var cycle = Math.Floor(index / _quotesPerCycle);
        var inCycle = index - (cycle * _quotesPerCycle);
        var seconds = inCycle < _quotesPerBurst
            ? inCycle / _burstRate
            : _burstSeconds + ((inCycle - _quotesPerBurst) / _rate);
        return (long)Math.Round(((cycle * _intervalSeconds) + seconds) * NanosecondsPerSecond);
    }
}
