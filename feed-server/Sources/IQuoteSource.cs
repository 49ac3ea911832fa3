using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Sources;

/// <summary>Where quotes come from: the built-in simulator or, with several nodes, the Redis bus.</summary>
/// <remarks>A source is the ring's single producer: only its own thread publishes into the ring.</remarks>
internal interface IQuoteSource : IDisposable
{
    /// <summary>A short name for logs and /healthz, e.g. <c>sim</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Names the source's seq space, sent in <c>hello</c>: the seqs of one epoch only grow, and a client resumes only
    /// within the epoch its seqs came from (docs/protocol.md, "Resume"). Empty: the source has no seq space a client
    /// can resume in (yet), so nothing is recovered and every resumed symbol gets a snapshot. A source whose seqs
    /// start again announces a new epoch there and publishes <see cref="QuoteEvent.EpochChangeMarker"/> into the ring.
    /// </summary>
    SourceEpoch Epoch { get; }

    /// <summary>
    /// Whether quotes flow from the source (docs/protocol.md, "Feed status"). A source that can become unreachable
    /// announces a change there and publishes <see cref="QuoteEvent.StatusChangeMarker"/> into the ring; one that cannot
    /// (the simulator) keeps a status that is always live.
    /// </summary>
    SourceStatus Status { get; }

    /// <summary>Quotes published into the ring so far.</summary>
    long Published { get; }

    /// <summary>Completes when the source has stopped producing (its duration ran out, or it was stopped).</summary>
    Task Completion { get; }

    /// <summary>
    /// Completes when the source has published what must be in the ring before clients come (the bus source:
    /// the shared last-value cache), or has given up waiting for it; the server listens only then.
    /// </summary>
    Task Ready => Task.CompletedTask;

    /// <summary>Starts producing on the source's own thread.</summary>
    void Start();

    /// <summary>Stops producing; completes when the producing thread has finished.</summary>
    Task StopAsync();
}
