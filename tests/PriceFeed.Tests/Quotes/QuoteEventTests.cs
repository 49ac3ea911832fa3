using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Tests.Quotes;

public sealed class QuoteEventTests
{
    [Fact]
    public void ASlotIs88BytesAndHoldsNoReferences()
    {
        // No references: the ring's array is never traced by the GC and a slot holds no string.
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<QuoteEvent>());
        Assert.Equal(88, Unsafe.SizeOf<QuoteEvent>());
    }
}
