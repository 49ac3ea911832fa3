namespace PriceFeed.Simulation;

/// <summary>Where a running simulator hands its quotes.</summary>
/// <remarks>
/// Called from the simulator's own thread only, one batch at a time, so an implementation
/// can be a single producer (the server's ring). The span is only valid during the call:
/// copy what you keep.
/// </remarks>
public interface IQuoteSink
{
    void Publish(ReadOnlySpan<SimulatedQuote> batch);
}
