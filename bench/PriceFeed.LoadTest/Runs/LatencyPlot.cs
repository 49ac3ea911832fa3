using System.Globalization;
using ScottPlot;

namespace PriceFeed.LoadTest.Runs;

/// <summary>
/// The latency-percentile plot, drawn as HdrHistogram plots are: x is the percentile on a log
/// scale of 1/(1-p) (so 90%, 99%, 99.9%... are evenly spaced), y is latency in microseconds, log scale.
/// </summary>
internal static class LatencyPlot
{
    private static readonly double[] s_percentileTicks = [0, 90, 99, 99.9, 99.99, 99.999];

    /// <summary>Draws the median run of each target (from publish and from source time) to <paramref name="path"/>.</summary>
    public static void Save(string path, Scenario scenario, IReadOnlyList<TargetSummary> summaries)
    {
        var plot = new Plot();
        var colors = new Dictionary<string, Color>
        {
            ["ours"] = Colors.DodgerBlue,
            ["baseline"] = Colors.OrangeRed,
            ["node"] = Colors.DarkGoldenRod,
            ["url"] = Colors.SeaGreen,
        };
        var highest = 90.0;
        foreach (var summary in summaries)
        {
            var color = colors.GetValueOrDefault(summary.Target, Colors.Gray);
            highest = Math.Max(highest, Add(plot, summary.MedianRun.FastFromSource, $"{summary.Target}: from source time", color, LinePattern.Solid));
            Add(plot, summary.MedianRun.FastFromPublish, $"{summary.Target}: from publish time", color, LinePattern.Dashed);
        }

        var ticks = s_percentileTicks.Where(p => p <= highest + 1e-9).ToArray();
        plot.Axes.Bottom.SetTicks(ticks.Select(X).ToArray(), ticks.Select(p => p.ToString("0.###", CultureInfo.InvariantCulture) + "%").ToArray());
        var decades = Enumerable.Range(-1, 8).Select(e => (double)e).ToArray();
        plot.Axes.Left.SetTicks(decades, decades.Select(FormatMicroseconds).ToArray());
        plot.Title($"PriceFeed '{scenario.Name}': latency by percentile (median run, fast clients)");
        plot.XLabel("percentile");
        plot.YLabel("latency (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.AutoScale();
        plot.SavePng(path, 1000, 600);
    }

    // 1/(1-p) on a log scale: 0% -> 0, 90% -> 1, 99% -> 2, 99.9% -> 3.
    private static double X(double percentile) => Math.Log10(1 / Math.Max(1e-7, 1 - (percentile / 100)));

    private static string FormatMicroseconds(double log10Us)
    {
        var us = Math.Pow(10, log10Us);
        return us switch
        {
            >= 1_000_000 => $"{us / 1_000_000:0.#} s",
            >= 1_000 => $"{us / 1_000:0.#} ms",
            _ => $"{us:0.#} us",
        };
    }

    /// <summary>Adds one curve; returns the highest percentile it reaches.</summary>
    private static double Add(Plot plot, LatencySummary latency, string label, Color color, LinePattern pattern)
    {
        var points = latency.Curve.Where(p => p.Percentile < 100 && p.LatencyUs > 0).ToList();
        if (points.Count == 0)
        {
            return 0;
        }

        var line = plot.Add.ScatterLine(points.Select(p => X(p.Percentile)).ToArray(), points.Select(p => Math.Log10(p.LatencyUs)).ToArray());
        line.LegendText = label;
        line.Color = color;
        line.LineWidth = 2;
        line.LinePattern = pattern;
        return points[^1].Percentile;
    }
}
