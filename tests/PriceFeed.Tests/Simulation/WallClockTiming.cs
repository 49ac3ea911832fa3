namespace PriceFeed.Tests.Simulation;

/// <summary>Tests that time a running simulator against the wall clock.</summary>
/// <remarks>They run alone, after the parallel tests: on a 2-core machine, CPU-heavy tests beside
/// them would hold the pacing thread back and blur the timings they check.</remarks>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WallClockTiming
{
    public const string Name = "Simulation wall clock";
}
