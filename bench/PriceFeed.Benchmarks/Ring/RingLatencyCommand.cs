using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>
/// <c>ring-latency [--rate 1000000] [--seconds 5]</c>: one-way latency through the quote ring
/// for each wait strategy, at a paced rate, printed as a markdown table.
/// </summary>
/// <remarks>
/// <para>Not a BenchmarkDotNet benchmark: latency under a steady rate is a distribution, not a
/// mean. The producer (this thread) publishes at <c>--rate</c> quotes a second, spinning
/// between sends, with the send time in the slot; the consumer records receive minus send in
/// an HdrHistogram. A second of warm-up quotes comes first and is not recorded.</para>
/// <para>Latency counts from the actual send: a producer that falls behind catches up in a
/// burst, and those quotes count from when they were sent, not from when they were due.
/// The CPU column is the process's CPU time over the run divided by its wall time; the paced
/// producer alone spins one core, so the consumer's share is what exceeds 1.</para>
/// </remarks>
internal static class RingLatencyCommand
{
    /// <summary>The first argument that selects this command.</summary>
    public const string Name = "ring-latency";

    private const int DefaultRate = 1_000_000;
    private const int DefaultSeconds = 5;
    private const int BufferSize = 16 * 1024;
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(1);

    // The order of the table: from the most CPU to the least.
    private static readonly WaitStrategyKind[] s_kinds =
    [
        WaitStrategyKind.BusySpin,
        WaitStrategyKind.Yielding,
        WaitStrategyKind.SpinThenBlock,
        WaitStrategyKind.Blocking,
    ];

    /// <summary>Runs the command with the arguments after its name.</summary>
    /// <returns>The process exit code: 0, or 2 for bad arguments.</returns>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (!TryParse(args, out int rate, out int seconds, out string? error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine($"Usage: {Name} [--rate quotes-per-second] [--seconds measured-seconds]");
            return 2;
        }

        Console.WriteLine($"{Name}: {rate:N0} quotes/s for {seconds} s per strategy after {s_warmUp.TotalSeconds:N0} s of warm-up; " +
            $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
            $".NET {Environment.Version}, ring of {BufferSize} slots.");
        Console.WriteLine();
        Console.WriteLine("| Wait strategy | Quotes | p50 ns | p90 ns | p99 ns | p99.9 ns | max ns | CPU (cores) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var kind in s_kinds)
        {
            var result = Measure(kind, rate, TimeSpan.FromSeconds(seconds));
            var histogram = result.Histogram;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {WaitStrategies.NameOf(kind)} | {histogram.TotalCount:N0} | {histogram.GetValueAtPercentile(50):N0} | " +
                $"{histogram.GetValueAtPercentile(90):N0} | {histogram.GetValueAtPercentile(99):N0} | " +
                $"{histogram.GetValueAtPercentile(99.9):N0} | {histogram.GetMaxValue():N0} | {result.CpuCores:N2} |"));
        }

        return 0;
    }

    private static (LongHistogram Histogram, double CpuCores) Measure(WaitStrategyKind kind, int rate, TimeSpan measured)
    {
        var ring = new RingBuffer<QuoteEvent>(BufferSize, WaitStrategies.Create(kind));
        var handler = new LatencyRecordingHandler();
        var processor = new BatchEventProcessor<QuoteEvent>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start($"ring-latency consumer ({WaitStrategies.NameOf(kind)})");

        long interval = Stopwatch.Frequency / rate;
        long next = Stopwatch.GetTimestamp();
        long warmUpEnd = next + (long)(s_warmUp.TotalSeconds * Stopwatch.Frequency);
        long end = warmUpEnd + (long)(measured.TotalSeconds * Stopwatch.Frequency);
        var process = Process.GetCurrentProcess();
        TimeSpan cpuAtStart = TimeSpan.Zero;
        bool measuring = false;
        while (next < end)
        {
            long now;
            while ((now = Stopwatch.GetTimestamp()) < next)
            {
                Thread.SpinWait(1);
            }

            if (!measuring && next >= warmUpEnd)
            {
                measuring = true;
                process.Refresh();
                cpuAtStart = process.TotalProcessorTime;
            }

            long sequence = ring.Next();
            ref var quote = ref ring[sequence];
            quote.SymbolId = measuring ? LatencyRecordingHandler.MeasuredSymbol : LatencyRecordingHandler.WarmUpSymbol;
            quote.Seq = (ulong)sequence;
            quote.SourceTimeNs = Stopwatch.GetTimestamp();
            ring.Publish(sequence);
            next += interval;
        }

        process.Refresh();
        double cpuCores = (process.TotalProcessorTime - cpuAtStart).TotalSeconds / measured.TotalSeconds;

        var spinner = default(SpinWait);
        while (processor.Sequence.Value < ring.Cursor)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (!processor.HaltAndWait(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("The latency consumer did not stop.");
        }

        return (handler.Histogram, cpuCores);
    }

    private static bool TryParse(ReadOnlySpan<string> args, out int rate, out int seconds, out string? error)
    {
        rate = DefaultRate;
        seconds = DefaultSeconds;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            if (option is not ("--rate" or "--seconds"))
            {
                error = $"Unknown option '{option}'; the options are --rate and --seconds.";
                return false;
            }

            if (i + 1 == args.Length
                || !int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int value)
                || value <= 0)
            {
                error = $"{option} needs a whole number greater than zero.";
                return false;
            }

            if (option == "--rate")
            {
                rate = value;
            }
            else
            {
                seconds = value;
            }
        }

        if (rate > Stopwatch.Frequency)
        {
            error = $"--rate {rate} is above the clock's resolution ({Stopwatch.Frequency} ticks a second).";
            return false;
        }

        return true;
    }
}
