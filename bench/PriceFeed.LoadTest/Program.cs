using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using PriceFeed.LoadTest.Runs;
using PriceFeed.LoadTest.Servers;

namespace PriceFeed.LoadTest;

/// <summary>
/// The end-to-end load and latency tool:
/// <c>dotnet run -c Release --project bench/PriceFeed.LoadTest -- --scenario fanout [--target both] [--server-cpus 0 --client-cpus 1]</c>.
/// </summary>
internal static class Program
{
    private const int ExitUsage = 2;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(LoadTestOptions.Usage);
            return args.Length == 0 ? ExitUsage : 0;
        }

        var options = LoadTestOptions.Parse(args, out var error);
        if (options is null)
        {
            Console.Error.WriteLine("load-test: " + error);
            Console.Error.WriteLine(LoadTestOptions.Usage);
            return ExitUsage;
        }

        // Ctrl+C or SIGTERM stops the runs cleanly: the servers are killed by PID in the runner's finally blocks.
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        try
        {
            var outcome = await RunAsync(options, Progress.ForConsole(), Console.Out, cancel.Token);
            return outcome.Runs.Count > 0 ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("load-test: cancelled.");
            return 1;
        }
    }

    /// <summary>Runs the invocation and writes the table, JSON and plot; the tests call this directly.</summary>
    public static async Task<LoadTestOutcome> RunAsync(LoadTestOptions options, Progress progress, TextWriter output, CancellationToken cancellationToken)
    {
        if (options.ClientCpus is { } cpus && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()))
        {
            Process.GetCurrentProcess().ProcessorAffinity = CpuMask(cpus);
        }

        var machine = MachineLine();
        output.WriteLine(machine);
        output.WriteLine(FileDescriptorLimit.EnsureAtLeast(options.Scenario.TotalClients + 1024));
        output.WriteLine(
            $"scenario {options.Scenario}; warm-up {options.Warmup.TotalSeconds} s, window {options.Duration.TotalSeconds} s, {options.Repetitions} repetition(s), targets {string.Join(", ", options.Targets.Select(t => t.Name()))}" +
            (options.ServerCpus is null ? "" : $", server on CPUs {options.ServerCpus}") + (options.ClientCpus is null ? "" : $", tool on CPUs {options.ClientCpus}"));

        var runs = await new LoadTestSession(options, progress).RunAsync(cancellationToken);
        var summaries = Report.Summarize(options.Scenario, runs);
        output.WriteLine();
        output.WriteLine(Report.Table(options.Scenario, runs, summaries));
        var json = Report.WriteJson(options.OutputDirectory, options.Scenario, runs, summaries, machine);
        var png = Path.ChangeExtension(json, ".png");
        LatencyPlot.Save(png, options.Scenario, summaries);
        output.WriteLine($"results: {json}");
        output.WriteLine($"plot:    {png}");
        return new LoadTestOutcome(runs, summaries, json, png);
    }

    /// <summary>cores, CPU model, OS, .NET: the line every figure is quoted with.</summary>
    private static string MachineLine()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"machine: {Environment.ProcessorCount} cores, {model ?? "unknown CPU"}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    // "1" or "0,1" or "0-1" (taskset's list form) to an affinity mask.
    private static nint CpuMask(string list)
    {
        long mask = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            var first = int.Parse(range[0], CultureInfo.InvariantCulture);
            var last = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : first;
            for (var cpu = first; cpu <= last; cpu++)
            {
                mask |= 1L << cpu;
            }
        }

        return (nint)mask;
    }
}

/// <summary>What an invocation produced.</summary>
internal sealed record LoadTestOutcome(IReadOnlyList<RunResult> Runs, IReadOnlyList<TargetSummary> Summaries, string JsonPath, string PlotPath);
