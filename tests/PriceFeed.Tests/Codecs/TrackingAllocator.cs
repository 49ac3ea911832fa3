using DotNetty.Buffers;

namespace PriceFeed.Tests.Codecs;

/// <summary>An unpooled allocator that remembers every buffer it made, to check that all were released.</summary>
internal sealed class TrackingAllocator : AbstractByteBufferAllocator
{
    private readonly List<IByteBuffer> _allocated = [];

    public override bool IsDirectBufferPooled => false;

    /// <summary>Buffers made so far that still hold a reference.</summary>
    public IReadOnlyList<IByteBuffer> Unreleased => _allocated.Where(buffer => buffer.ReferenceCount > 0).ToList();

    protected override IByteBuffer NewHeapBuffer(int initialCapacity, int maxCapacity) =>
        Track(Unpooled.Buffer(initialCapacity, maxCapacity));

    protected override IByteBuffer NewDirectBuffer(int initialCapacity, int maxCapacity) =>
        Track(Unpooled.Buffer(initialCapacity, maxCapacity));

    private IByteBuffer Track(IByteBuffer buffer)
    {
        _allocated.Add(buffer);
        return buffer;
    }
}
