using PriceFeed.Simulation;

namespace PriceFeed.Simulator.Sinks;

/// <summary>Hands every batch to several sinks in turn, in the order given.</summary>
/// <remarks>This is where each output of the command line (counting, printing, a bus) plugs in.
/// A sink that throws stops the simulator; the sinks after it do not see that batch.</remarks>
internal sealed class CompositeQuoteSink(IReadOnlyList<IQuoteSink> sinks) : IQuoteSink
{
    private readonly IQuoteSink[] _sinks = [.. sinks];

    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        foreach (var sink in _sinks)
        {
            sink.Publish(batch);
        }
    }
}
