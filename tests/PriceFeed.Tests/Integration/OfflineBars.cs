using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// The bars of a quote stream worked out the slow, obvious way, independently of the server's BarBook, from the rules of
/// docs/protocol.md ("Bars"): a symbol's first quote is its baseline; a quote whose cumulative volume grew is a trade at
/// its <c>last</c> of the growth; a bar covers [start, start + interval) with start = floor(source time / interval) *
/// interval; an interval without a trade is a flat bar at the previous close.
/// </summary>
internal sealed class OfflineBars
{
    private readonly Dictionary<string, ulong> _volumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Trade>> _trades = new(StringComparer.Ordinal);

    /// <summary>One trade: its source time, price and volume.</summary>
    public readonly record struct Trade(long TimeNs, double Price, ulong Volume);

    /// <summary>Takes one quote, in the order the source published it.</summary>
    public void Take(string symbol, long sourceTimeNs, double last, ulong volume)
    {
        if (_volumes.TryGetValue(symbol, out var before) && volume > before)
        {
            if (!_trades.TryGetValue(symbol, out var trades))
            {
                _trades[symbol] = trades = [];
            }

            trades.Add(new Trade(sourceTimeNs, last, volume - before));
        }

        // A volume that went down is a new baseline, as the first one is: no trade.
        _volumes[symbol] = volume;
    }

    /// <summary>The trades of <paramref name="symbol"/>, in order.</summary>
    public IReadOnlyList<Trade> Trades(string symbol) => _trades.TryGetValue(symbol, out var trades) ? trades : [];

    public static long StartOf(long timeNs, uint intervalS) => timeNs - (timeNs % Length(intervalS));

    public static long Length(uint intervalS) => intervalS * 1_000_000_000L;

    /// <summary>The start of the bar of the first trade of <paramref name="symbol"/>: its first bar.</summary>
    public long FirstStart(string symbol, uint intervalS) => StartOf(Trades(symbol)[0].TimeNs, intervalS);

    /// <summary>The start of the bar of the last trade of <paramref name="symbol"/>: its bar in progress when no clock closed it.</summary>
    public long LastStart(string symbol, uint intervalS) => StartOf(Trades(symbol)[^1].TimeNs, intervalS);

    /// <summary>The bar of <paramref name="symbol"/> starting at <paramref name="startNs"/>; null before its first trade.</summary>
    public Bar? Expected(string symbol, uint intervalS, long startNs, bool closed = true)
    {
        var inside = Trades(symbol).Where(t => StartOf(t.TimeNs, intervalS) == startNs).ToList();
        var bar = new Bar { Symbol = symbol, IntervalS = intervalS, StartNs = startNs, Closed = closed };
        if (inside.Count == 0)
        {
            var before = Trades(symbol).Where(t => t.TimeNs < startNs).ToList();
            if (before.Count == 0)
            {
                return null;
            }

            bar.Open = bar.High = bar.Low = bar.Close = before[^1].Price;
            return bar;
        }

        bar.Open = inside[0].Price;
        bar.High = inside.Max(t => t.Price);
        bar.Low = inside.Min(t => t.Price);
        bar.Close = inside[^1].Price;
        bar.Volume = (ulong)inside.Sum(t => (decimal)t.Volume);
        bar.Trades = (uint)inside.Count;
        return bar;
    }

    /// <summary>Every bar of <paramref name="symbol"/> from its first through <paramref name="lastStartNs"/>, closed.</summary>
    public List<Bar> ExpectedRun(string symbol, uint intervalS, long lastStartNs)
    {
        var bars = new List<Bar>();
        for (var start = FirstStart(symbol, intervalS); start <= lastStartNs; start += Length(intervalS))
        {
            bars.Add(Expected(symbol, intervalS, start)!);
        }

        return bars;
    }
}
