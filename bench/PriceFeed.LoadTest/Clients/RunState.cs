namespace PriceFeed.LoadTest.Clients;

/// <summary>What every client of a run reads to know the phase: whether to record, whether slow clients stall.</summary>
internal sealed class RunState
{
    private volatile bool _measuring;
    private volatile bool _stalling = true;

    /// <summary>True during the measured window: quotes are counted and their latencies recorded.</summary>
    public bool Measuring
    {
        get => _measuring;
        set => _measuring = value;
    }

    /// <summary>True until the convergence check: slow clients stall on schedule.</summary>
    public bool Stalling
    {
        get => _stalling;
        set => _stalling = value;
    }

    /// <summary>Unix time in ns, the same clock the servers stamp quotes with.</summary>
    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
