namespace PriceFeed.Server.Ring;

/// <summary>Fills a claimed slot from one item of a producer's batch: the Disruptor's event translator, for
/// <see cref="RingBuffer{T}.PublishEvents"/>.</summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <typeparam name="TItem">What the producer has in hand for one event.</typeparam>
/// <remarks>Implemented by structs, so that the ring's loop calls it directly and the JIT can inline it. Runs on
/// the producer's thread, between claim and publish.</remarks>
internal interface IEventTranslator<T, TItem>
    where T : struct
{
    /// <summary>Writes <paramref name="item"/> into <paramref name="slot"/>, which holds whatever the ring's last lap left.</summary>
    void TranslateTo(ref T slot, in TItem item);
}
