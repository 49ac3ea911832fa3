namespace PriceFeed.Server.Bars;

/// <summary>The bar intervals the server computes (docs/protocol.md, "Bars"): 1 s, 5 s, 1 min and 5 min.</summary>
/// <remarks>Every interval is a whole number of seconds and divides the longer ones, so the next boundary of any
/// interval is at most the next whole second: one clock tick a second closes them all.</remarks>
internal static class BarIntervals
{
    /// <summary>How many intervals there are; an interval's index is its place in <see cref="Seconds"/>.</summary>
    public const int Count = 4;

    /// <summary>Every interval's bit in a change mask (<see cref="BarBook.OnQuote"/>).</summary>
    public const int AllMask = (1 << Count) - 1;

    private static readonly uint[] s_seconds = [1, 5, 60, 300];

    /// <summary>The intervals offered, in seconds, shortest first.</summary>
    public static ReadOnlySpan<uint> Seconds => s_seconds;

    /// <summary>The index of the interval of <paramref name="seconds"/>, -1 when it is not offered.</summary>
    public static int IndexOf(uint seconds) => seconds switch
    {
        1 => 0,
        5 => 1,
        60 => 2,
        300 => 3,
        _ => -1,
    };

    /// <summary>The interval at <paramref name="index"/>, in seconds.</summary>
    public static uint SecondsAt(int index) => s_seconds[index];

    /// <summary>The interval at <paramref name="index"/>, in nanoseconds.</summary>
    public static long LengthNs(int index) => s_seconds[index] * 1_000_000_000L;

    /// <summary>The start of the bar of interval <paramref name="index"/> that holds <paramref name="timeNs"/>.</summary>
    public static long StartOf(long timeNs, int index)
    {
        var length = LengthNs(index);
        var start = timeNs - (timeNs % length);
        return timeNs < 0 && start != timeNs ? start - length : start;
    }
}
