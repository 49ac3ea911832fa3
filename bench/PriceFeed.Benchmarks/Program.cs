using BenchmarkDotNet.Running;

namespace PriceFeed.Benchmarks;

/// <summary>Runs one area or all: <c>-- --filter '*Ring*'</c>, <c>-- --filter '*'</c>.</summary>
internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
