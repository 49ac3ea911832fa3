namespace PriceFeed.Tests.Bars;

/// <summary>
/// The bar rules of docs/protocol.md ("Bars") written the slow, obvious way, to check <c>BarBook</c> against: a
/// dictionary of lists, every bar ever closed kept, flat bars made one at a time, bar starts from decimal arithmetic.
/// </summary>
internal sealed class NaiveBarAggregator
{
    private static readonly long[] s_lengths = [1_000_000_000L, 5_000_000_000L, 60_000_000_000L, 300_000_000_000L];

    private readonly Dictionary<int, ulong> _baseline = [];
    private readonly Dictionary<(int Symbol, int Interval), List<ModelBar>> _closed = [];
    private readonly Dictionary<(int Symbol, int Interval), ModelBar> _current = [];

    public static int Intervals => s_lengths.Length;

    /// <summary>True when the quote was a trade.</summary>
    public bool OnQuote(int symbol, long timeNs, double last, ulong volume)
    {
        if (!_baseline.TryGetValue(symbol, out var before) || volume <= before)
        {
            _baseline[symbol] = volume;
            return false;
        }

        _baseline[symbol] = volume;
        for (var interval = 0; interval < Intervals; interval++)
        {
            var start = Floor(timeNs, s_lengths[interval]);
            var key = (symbol, interval);
            if (!_current.TryGetValue(key, out var bar))
            {
                bar = new ModelBar(start, last);
            }
            else
            {
                // A trade past the bar in progress closes it, and every interval between gets a flat bar; a late one
                // (older than the bar in progress) counts in the bar in progress.
                while (bar.StartNs + s_lengths[interval] <= start)
                {
                    bar = CloseAndFollow(key, bar);
                }
            }

            bar.Add(last, volume - before);
            _current[key] = bar;
        }

        return true;
    }

    /// <summary>Closes every bar whose end is at most <paramref name="nowNs"/> - <paramref name="delayNs"/>.</summary>
    public void CloseDue(long nowNs, long delayNs)
    {
        foreach (var key in _current.Keys.ToList())
        {
            var bar = _current[key];
            while (bar.StartNs + s_lengths[key.Interval] <= nowNs - delayNs)
            {
                bar = CloseAndFollow(key, bar);
            }

            _current[key] = bar;
        }
    }

    public void ForgetVolumes() => _baseline.Clear();

    public IReadOnlyList<ModelBar> Closed(int symbol, int interval) =>
        _closed.TryGetValue((symbol, interval), out var list) ? list : [];

    public ModelBar? Current(int symbol, int interval) => _current.GetValueOrDefault((symbol, interval));

    private static long Floor(long timeNs, long lengthNs) => (long)(Math.Floor((decimal)timeNs / lengthNs) * lengthNs);

    private ModelBar CloseAndFollow((int Symbol, int Interval) key, ModelBar bar)
    {
        if (!_closed.TryGetValue(key, out var list))
        {
            list = [];
            _closed[key] = list;
        }

        list.Add(bar);
        return ModelBar.Flat(bar.StartNs + s_lengths[key.Interval], bar.Close);
    }

    internal sealed class ModelBar
    {
        /// <summary>A bar with no trade yet, at <paramref name="price"/>.</summary>
        public ModelBar(long startNs, double price)
        {
            StartNs = startNs;
            Open = High = Low = Close = price;
        }

        public long StartNs { get; }

        public double Open { get; private set; }

        public double High { get; private set; }

        public double Low { get; private set; }

        public double Close { get; private set; }

        public ulong Volume { get; private set; }

        public uint Trades { get; private set; }

        public static ModelBar Flat(long startNs, double close) => new(startNs, close);

        public void Add(double price, ulong volume)
        {
            if (Trades == 0)
            {
                Open = High = Low = price;
            }

            High = price > High ? price : High;
            Low = price < Low ? price : Low;
            Close = price;
            Volume += volume;
            Trades++;
        }

        public override string ToString() =>
            $"start {StartNs} o {Open} h {High} l {Low} c {Close} v {Volume} n {Trades}";
    }
}
