using System.Globalization;
using PriceFeed.Simulation;
using PriceFeed.Simulator.Sinks;

namespace PriceFeed.Simulator;

/// <summary>What the command line tells the user on stderr: the plan, a live progress line, the summary.</summary>
/// <remarks>Used from the main thread only; it reads the simulator's counters, which are safe to read from any thread.</remarks>
internal sealed class ConsoleReport(TextWriter error, QuoteSimulator simulator, SimulatorOptions options, CountingQuoteSink counter)
{
    // On a terminal the progress line rewrites itself; redirected to a file, each report is a line of its own.
    private readonly bool _rewriteLine = !Console.IsErrorRedirected;
    private int _progressWidth;

    public void Plan()
    {
        var duration = options.Duration is { } d ? Invariant($"for {d.TotalSeconds:0.###} s") : "until stopped (Ctrl+C)";
        var bursts = options.HasBursts
            ? Invariant($", bursts x{options.BurstFactor:0.##} for {options.BurstLength.TotalMilliseconds:0.#} ms every {options.BurstInterval.TotalSeconds:0.###} s")
            : "";
        error.WriteLine(Invariant($"simulating {options.Symbols:N0} symbols at {options.Rate:N0} quotes/s {duration}{bursts}, seed {simulator.Seed}"));
    }

    public void Progress()
    {
        var line = Invariant(
            $"{simulator.QuotesPerSecond,12:N0} quotes/s   total {simulator.QuotesPublished,14:N0}   elapsed {simulator.Elapsed.TotalSeconds,7:F1} s   lag {simulator.LagNs / 1e6,7:F2} ms");
        if (_rewriteLine)
        {
            // Pad over what a longer previous line left behind.
            error.Write('\r' + line.PadRight(_progressWidth));
            _progressWidth = line.Length;
        }
        else
        {
            error.WriteLine(line);
        }
    }

    public void Summary()
    {
        if (_rewriteLine && _progressWidth > 0)
        {
            error.WriteLine();
        }

        // The simulator's own clock starts at the first quote's planned time: thread start-up is not the rate's fault.
        var elapsed = simulator.Elapsed;
        var quotes = counter.Quotes;
        var achieved = quotes / elapsed.TotalSeconds;
        var batches = counter.Batches;
        error.WriteLine(Invariant(
            $"total {quotes:N0} quotes in {elapsed.TotalSeconds:F4} s: {achieved:N1} quotes/s, asked {options.MeanRate:N0}{(options.HasBursts ? " on average with bursts" : "")} ({achieved / options.MeanRate:P2})"));
        error.WriteLine(Invariant(
            $"symbols {options.Symbols:N0}, seed {simulator.Seed}, batches {batches:N0} (mean {(batches == 0 ? 0 : (double)quotes / batches):F1} quotes)"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
