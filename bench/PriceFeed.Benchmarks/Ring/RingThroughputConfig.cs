using BenchmarkDotNet.Configs;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>Adds the events-per-second column to the ring's throughput benchmarks.</summary>
internal sealed class RingThroughputConfig : ManualConfig
{
    public RingThroughputConfig() => AddColumn(new EventsPerSecondColumn());
}
