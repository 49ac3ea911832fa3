namespace PriceFeed.Tests.Ring;

/// <summary>The slot type of the ring's tests: one value the producer writes in place.</summary>
internal struct LongEvent
{
    public long Value;
}
