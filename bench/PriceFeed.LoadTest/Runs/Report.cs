using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PriceFeed.LoadTest.Runs;

/// <summary>The end of an invocation: a table of every run, the median run per target with the spread, ratios, and the JSON file.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>One line for a finished run, printed as it ends.</summary>
    public static string OneLine(RunResult run) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{run.QuotesPerSecond:N0} quotes/s, {run.FramesPerSecond:N0} frames/s, p99 {run.FastFromPublish.P99Us:N0} us (publish) {run.FastFromSource.P99Us:N0} us (source), seq violations {run.SeqViolations}, stale {Show(run.StaleSymbols)}, server {Show(run.ServerCpuCores, "P0")} cpu, tool {run.ToolCpuCores:P0} cpu");

    /// <summary>The headline figure of a run for its scenario, and whether higher is better.</summary>
    public static (string Name, double Value, bool HigherIsBetter) Headline(Scenario scenario, RunResult run) => scenario switch
    {
        { Kind: ScenarioKind.Connections } => ("server bytes/connection", run.ServerBytesPerConnection ?? double.NaN, false),
        { Name: "latency" or "slow" } => ("fast-client p99 from publish (us)", run.FastFromPublish.P99Us, false),
        _ => ("delivered quotes/s", run.QuotesPerSecond, true),
    };

    /// <summary>Per target: the run with the median headline, and the headline's spread across repetitions.</summary>
    public static List<TargetSummary> Summarize(Scenario scenario, IReadOnlyList<RunResult> runs)
    {
        var summaries = new List<TargetSummary>();
        foreach (var group in runs.GroupBy(r => r.Target))
        {
            // For max, a repetition's figure is its highest sustained step.
            var candidates = scenario.Kind == ScenarioKind.MaxRate
                ? group.GroupBy(r => r.Repetition)
                    .Select(rep => rep.Where(r => r.Sustained == true).MaxBy(r => r.QuotesPerSecond) ?? rep.First() with { QuotesPerSecond = 0 })
                    .ToList()
                : group.ToList();
            var ordered = candidates.OrderBy(r => Headline(scenario, r).Value).ToList();
            // With an even count, the worse of the two middle runs: a median that never flatters.
            var median = ordered[Headline(scenario, ordered[0]).HigherIsBetter ? (ordered.Count - 1) / 2 : ordered.Count / 2];
            var values = ordered.Select(r => Headline(scenario, r).Value).ToList();
            summaries.Add(new TargetSummary(group.Key, Headline(scenario, median).Name, Headline(scenario, median).Value, values.Min(), values.Max(), ordered.Count, median));
        }

        return summaries;
    }

    public static string Table(Scenario scenario, IReadOnlyList<RunResult> runs, IReadOnlyList<TargetSummary> summaries)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Scenario {scenario}");
        text.AppendLine();
        string[] header =
        [
            "target", "rep", "offered/s", "quotes/s", "frames/s", "pub p50", "pub p90", "pub p99", "pub p99.9", "pub max",
            "src p50", "src p99", "src p99.9", "server p50", "server p99", "server p99.9", "net p50", "net p99", "net p99.9", "slow pub p99", "seq viol", "stale", "lost", "srv cpu", "tool cpu", "srv peak MB", "B/conn", "conn/s", "verdict",
        ];
        var rows = runs.Select(r => new[]
        {
            r.Target, N(r.Repetition), N(r.OfferedRate), N(r.QuotesPerSecond), N(r.FramesPerSecond),
            N(r.FastFromPublish.P50Us), N(r.FastFromPublish.P90Us), N(r.FastFromPublish.P99Us), N(r.FastFromPublish.P999Us), N(r.FastFromPublish.MaxUs),
            N(r.FastFromSource.P50Us), N(r.FastFromSource.P99Us), N(r.FastFromSource.P999Us),
            Split(r.FastServerSide, s => s.P50Us), Split(r.FastServerSide, s => s.P99Us), Split(r.FastServerSide, s => s.P999Us),
            Split(r.FastNetwork, s => s.P50Us), Split(r.FastNetwork, s => s.P99Us), Split(r.FastNetwork, s => s.P999Us),
            r.SlowClients > 0 ? N(r.SlowFromPublish.P99Us) : "-",
            N(r.SeqViolations), Show(r.StaleSymbols), N(r.ClientsLost),
            Show(r.ServerCpuCores, "P0"), r.ToolCpuCores.ToString("P0", CultureInfo.InvariantCulture),
            r.ServerPeakRssBytes is { } peak ? N(peak / (1024.0 * 1024)) : "-",
            r.ServerBytesPerConnection is { } perConnection ? N(perConnection) : "-",
            N(r.ConnectsPerSecond), r.Verdict ?? "",
        }).ToList();
        AppendAligned(text, header, rows);
        text.AppendLine("(latencies in microseconds; pub: from publish_time_ns, src: from source_time_ns; fast clients unless marked slow; cpu: share of one core)");
        text.AppendLine("(server: send_time_ns - publish_time_ns, net: arrival - send_time_ns, per quote; -: the server sends no send_time_ns)");
        text.AppendLine();

        foreach (var summary in summaries)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{summary.Target}: median {summary.HeadlineName} {N(summary.Median)} over {summary.Runs} run(s), spread {N(summary.Min)} .. {N(summary.Max)}");
        }

        if (summaries.FirstOrDefault(s => s.Target == "ours") is { } ours)
        {
            foreach (var peer in summaries.Where(s => s.Target != ours.Target && s.Median != 0))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"ratio ours/{peer.Target} ({ours.HeadlineName}): {ours.Median / peer.Median:F2}");
            }
        }

        return text.ToString();
    }

    /// <summary>Writes every run and the summaries to <c>DIR/SCENARIO-yyyyMMdd-HHmmss.json</c>; returns the path.</summary>
    public static string WriteJson(string directory, Scenario scenario, IReadOnlyList<RunResult> runs, IReadOnlyList<TargetSummary> summaries, string machine)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{scenario.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        var document = new { scenario, machine, dateUtc = DateTime.UtcNow, summaries, runs };
        File.WriteAllText(path, JsonSerializer.Serialize(document, s_json));
        return path;
    }

    private static void AppendAligned(StringBuilder text, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        text.AppendLine(string.Join("  ", header.Select((h, i) => h.PadLeft(widths[i]))));
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadLeft(widths[i]))));
        }
    }

    private static string N(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    // No summary: the target does not stamp send_time_ns, which is no figure, not zero.
    private static string Split(LatencySummary? latency, Func<LatencySummary, double> percentile) => latency is { } l ? N(percentile(l)) : "-";

    private static string Show(long? value) => value is { } v ? N(v) : "n/a";

    private static string Show(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>A target's figures across its repetitions: the median run and the spread of the headline.</summary>
internal sealed record TargetSummary(string Target, string HeadlineName, double Median, double Min, double Max, int Runs, RunResult MedianRun);
