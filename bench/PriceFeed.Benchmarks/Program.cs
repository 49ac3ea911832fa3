using BenchmarkDotNet.Running;
using PriceFeed.Benchmarks.Ring;

namespace PriceFeed.Benchmarks;

/// <summary>
/// Runs one area or all: <c>-- --filter '*Ring*'</c>, <c>-- --filter '*'</c>; or a
/// measurement that is not a BenchmarkDotNet benchmark, named by the first argument:
/// <c>-- ring-latency [--rate 1000000] [--seconds 5]</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == RingLatencyCommand.Name)
        {
            return RingLatencyCommand.Run(args.AsSpan(1));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
