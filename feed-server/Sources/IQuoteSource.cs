namespace PriceFeed.Server.Sources;

/// <summary>Where quotes come from: the built-in simulator or, with several nodes, the Redis bus.</summary>
/// <remarks>A source is the ring's single producer: only its own thread publishes into the ring.</remarks>
internal interface IQuoteSource : IDisposable
{
    /// <summary>A short name for logs and /healthz, e.g. <c>sim</c>.</summary>
    string Name { get; }

    /// <summary>Quotes published into the ring so far.</summary>
    long Published { get; }

    /// <summary>Completes when the source has stopped producing (its duration ran out, or it was stopped).</summary>
    Task Completion { get; }

    /// <summary>Starts producing on the source's own thread.</summary>
    void Start();

    /// <summary>Stops producing; completes when the producing thread has finished.</summary>
    Task StopAsync();
}
