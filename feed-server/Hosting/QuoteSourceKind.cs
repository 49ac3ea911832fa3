namespace PriceFeed.Server.Hosting;

/// <summary>Where the server's quotes come from (<c>--source</c>).</summary>
internal enum QuoteSourceKind
{
    /// <summary><c>sim</c>: the built-in simulator, in this process.</summary>
    Sim,

    /// <summary><c>redis</c>: the Redis bus that <c>feed-simulator --redis</c> publishes on (docs/scale-out.md).</summary>
    Redis,
}
