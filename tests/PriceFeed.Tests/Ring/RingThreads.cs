namespace PriceFeed.Tests.Ring;

/// <summary>
/// The ring's tests that start producer and consumer threads. They run one class at a time
/// and apart from other tests: spinning threads from several classes at once on a two-core
/// machine would measure the scheduler, not the ring.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RingThreads
{
    /// <summary>The collection's name, for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Ring threads";
}
