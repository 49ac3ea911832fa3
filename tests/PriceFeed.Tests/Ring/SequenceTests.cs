using System.Runtime.CompilerServices;
using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class SequenceTests
{
    [Fact]
    public void StartsAtMinusOne() => Assert.Equal(-1, new Sequence().Value);

    [Fact]
    public void PlacesTheValueBetween56BytesOfPaddingOnEachSide()
    {
        const long Marker = 0x0102_0304_0506_0708;
        var sequence = new Sequence(Marker);

        // The instance's fields, byte by byte, from the first byte after the method table pointer.
        ref byte fields = ref Unsafe.As<RawObject>(sequence).FirstByte;

        Assert.Equal(56, Sequence.ValueOffset);
        Assert.Equal(120, Sequence.Size);
        Assert.Equal(Marker, Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref fields, Sequence.ValueOffset)));
        for (int offset = 0; offset < Sequence.Size; offset++)
        {
            if (offset is < Sequence.ValueOffset or >= Sequence.ValueOffset + sizeof(long))
            {
                Assert.Equal(0, Unsafe.Add(ref fields, offset));
            }
        }
    }

    [Fact]
    public void TakesTheHeaderAnd120BytesOfFields()
    {
        _ = new Sequence();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sequence = new Sequence();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        GC.KeepAlive(sequence);
        // Object header and method table pointer, then the fields.
        Assert.Equal((2 * IntPtr.Size) + Sequence.Size, allocated);
    }

    [Fact]
    public void CompareAndSetReplacesOnlyTheExpectedValue()
    {
        var sequence = new Sequence(5);

        Assert.False(sequence.CompareAndSet(4, 10));
        Assert.Equal(5, sequence.Value);
        Assert.True(sequence.CompareAndSet(5, 10));
        Assert.Equal(10, sequence.Value);
    }

    [Fact]
    public void IncrementAndAddReturnTheNewValue()
    {
        var sequence = new Sequence(0);

        Assert.Equal(1, sequence.IncrementAndGet());
        Assert.Equal(11, sequence.AddAndGet(10));
        Assert.Equal(11, sequence.Value);
    }

    [Fact]
    public void BothStoresAreReadBack()
    {
        var sequence = new Sequence();

        sequence.SetValue(7);
        Assert.Equal(7, sequence.Value);
        sequence.SetValueVolatile(8);
        Assert.Equal(8, sequence.Value);
    }

    /// <summary>Overlays any object to read its fields as bytes.</summary>
    private sealed class RawObject
    {
        public byte FirstByte;
    }
}
