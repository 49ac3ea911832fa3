using PriceFeed.Server.Sources;

namespace PriceFeed.Server.Session;

/// <summary>The server as its clients and status pages see it: its id, its source, and how far the quotes have got.</summary>
/// <remarks>Implemented by the host, which owns the ring and the fan-out; every member is a cheap read, safe from
/// any thread.</remarks>
internal interface IServerStatus
{
    /// <summary>The id announced in <c>hello</c> and <c>/healthz</c>; with <c>--port 0</c> it holds the real port
    /// once the listener is bound.</summary>
    string ServerId { get; }

    /// <summary>Where quotes come from (the simulator or the Redis bus).</summary>
    IQuoteSource Source { get; }

    TimeSpan Uptime { get; }

    /// <summary>TCP connections open now.</summary>
    int OpenConnections { get; }

    /// <summary>Quotes the fan-out has taken from the ring.</summary>
    long QuotesProcessed { get; }

    /// <summary>Quotes the fan-out failed on and skipped.</summary>
    long FanoutFailures { get; }

    /// <summary>Quotes published into the ring and not yet taken by the fan-out.</summary>
    long RingLag { get; }
}
