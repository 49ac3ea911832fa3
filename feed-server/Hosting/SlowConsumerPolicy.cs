namespace PriceFeed.Server.Hosting;

/// <summary>What the fan-out does for a client that cannot take updates as fast as they come (<c>--policy</c>).</summary>
internal enum SlowConsumerPolicy
{
    /// <summary><c>conflate</c>: keep only the newest update of each symbol the client has not been sent.</summary>
    Conflate,

    /// <summary><c>drop</c>: keep up to <c>--queue-capacity</c> updates in order, dropping the oldest past it.</summary>
    Drop,
}
