namespace PriceFeed.Server.Bars;

/// <summary>One bar of one symbol and interval, as the server keeps it: <c>pricefeed.v1.Bar</c> without the symbol, the
/// interval and <c>closed</c>, which its place in the <see cref="BarBook"/> says. 56 bytes.</summary>
internal struct BarValue
{
    /// <summary>The bar covers [StartNs, StartNs + interval) of the quotes' source time, Unix ns.</summary>
    public long StartNs;

    /// <summary>First trade price in the bar (the previous close when nothing traded).</summary>
    public double Open;

    public double High;

    public double Low;

    /// <summary>Last trade price in the bar.</summary>
    public double Close;

    /// <summary>Volume traded in the bar: the growth of the quotes' cumulative volume.</summary>
    public ulong Volume;

    /// <summary>Trades in the bar: quotes whose cumulative volume grew.</summary>
    public uint Trades;

    /// <summary>A bar where nothing traded yet: open, high, low and close at <paramref name="price"/>, no volume.</summary>
    public static BarValue Flat(long startNs, double price) =>
        new() { StartNs = startNs, Open = price, High = price, Low = price, Close = price };

    /// <summary>Adds a trade of <paramref name="volume"/> at <paramref name="price"/>; the first trade also sets the open.</summary>
    public void Add(double price, ulong volume)
    {
        if (Trades == 0)
        {
            Open = price;
            High = price;
            Low = price;
        }
        else
        {
            High = Math.Max(High, price);
            Low = Math.Min(Low, price);
        }

        Close = price;
        Volume += volume;
        Trades++;
    }
}
