using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Integration;

/// <summary>What every bar conversation must satisfy (docs/protocol.md, "Bars"), and bar-by-bar comparisons.</summary>
internal static class BarAssert
{
    /// <summary>
    /// For each (symbol, interval) in the order received: closed bars one interval apart, none repeated, none missing
    /// between the first and the last; an in-progress bar always starts after the last closed one before it.
    /// </summary>
    public static void WellOrdered(IEnumerable<ReceivedBar> bars)
    {
        var lastClosed = new Dictionary<(string, uint), long>();
        foreach (var (_, bar) in bars)
        {
            var key = (bar.Symbol, bar.IntervalS);
            var known = lastClosed.TryGetValue(key, out var last);
            if (bar.Closed)
            {
                Assert.True(
                    !known || bar.StartNs == last + OfflineBars.Length(bar.IntervalS),
                    $"{bar.Symbol} {bar.IntervalS} s: the closed bar at {bar.StartNs} follows the closed one at {last}: a gap or a repeat");
                lastClosed[key] = bar.StartNs;
            }
            else
            {
                Assert.True(!known || bar.StartNs > last, $"{bar.Symbol} {bar.IntervalS} s: an in-progress bar at {bar.StartNs} after the closed one at {last}");
            }
        }
    }

    /// <summary>Asserts the bars are exactly <paramref name="expected"/>, every field of every one.</summary>
    public static void Equal(IReadOnlyList<Bar> expected, IReadOnlyList<Bar> actual, string what)
    {
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            Assert.True(expected[i].Equals(actual[i]), $"{what}: bar {i} of {expected.Count} differs:{Environment.NewLine}expected {expected[i]}{Environment.NewLine}received {actual[i]}");
        }

        Assert.True(
            expected.Count == actual.Count,
            $"{what}: {actual.Count} bars received, {expected.Count} expected (first starts {Starts(expected)} / {Starts(actual)}, last {Last(expected)} / {Last(actual)})");
    }

    private static string Last(IReadOnlyList<Bar> bars) => bars.Count == 0 ? "none" : bars[^1].StartNs.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Starts(IReadOnlyList<Bar> bars) => bars.Count == 0 ? "none" : bars[0].StartNs.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
