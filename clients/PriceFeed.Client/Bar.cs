namespace PriceFeed.Client;

/// <summary>One OHLCV bar the server computed from the trades of a symbol (docs/protocol.md, "Bars").</summary>
/// <remarks>A bar covers [<see cref="StartNs"/>, <see cref="StartNs"/> + <see cref="IntervalSeconds"/>) of the quotes'
/// source time. While <see cref="Closed"/> is false it is the bar in progress and newer versions of it follow; the
/// closed version is final and comes exactly once.</remarks>
public sealed record Bar
{
    /// <summary>The instrument.</summary>
    public required string Symbol { get; init; }

    /// <summary>The bar's length in seconds: 1, 5, 60 or 300.</summary>
    public int IntervalSeconds { get; init; }

    /// <summary>Unix time in nanoseconds where the bar starts: a multiple of the interval.</summary>
    public long StartNs { get; init; }

    /// <summary>Where the bar starts, as UTC time (<see cref="StartNs"/> to the tick).</summary>
    public DateTimeOffset Start => DateTimeOffset.UnixEpoch.AddTicks(StartNs / TimeSpan.NanosecondsPerTick);

    /// <summary>The bar's length.</summary>
    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);

    /// <summary>Price of the first trade in the bar (of a flat bar: the previous close).</summary>
    public double Open { get; init; }

    /// <summary>Highest trade price in the bar.</summary>
    public double High { get; init; }

    /// <summary>Lowest trade price in the bar.</summary>
    public double Low { get; init; }

    /// <summary>Price of the last trade in the bar.</summary>
    public double Close { get; init; }

    /// <summary>Volume traded in the bar (0 for a flat bar, in which nothing traded).</summary>
    public ulong Volume { get; init; }

    /// <summary>Trades in the bar.</summary>
    public int Trades { get; init; }

    /// <summary>False: the bar in progress, newer versions follow; true: final.</summary>
    public bool Closed { get; init; }
}
