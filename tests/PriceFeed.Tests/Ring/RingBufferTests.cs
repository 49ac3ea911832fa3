using System.Runtime.CompilerServices;
using PriceFeed.Server.Ring;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Ring;

[Collection(RingThreads.Name)]
public sealed class RingBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-8)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(1000)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void RejectsABufferSizeThatIsNotAPowerOfTwo(int bufferSize)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new RingBuffer<LongEvent>(bufferSize, new BusySpinWaitStrategy()));

        Assert.Equal("bufferSize", exception.ParamName);
        Assert.Contains("must be a power of two greater than zero", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"but was {bufferSize}", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1024)]
    public void AcceptsAPowerOfTwo(int bufferSize)
    {
        var ring = new RingBuffer<LongEvent>(bufferSize, new BusySpinWaitStrategy());

        Assert.Equal(bufferSize, ring.BufferSize);
        Assert.Equal(Sequence.InitialValue, ring.Cursor);
    }

    [Fact]
    public void MapsSequencesOneBufferApartToTheSameSlot()
    {
        var ring = new RingBuffer<LongEvent>(8, new BusySpinWaitStrategy());

        Assert.True(Unsafe.AreSame(ref ring[3], ref ring[11]));
        Assert.False(Unsafe.AreSame(ref ring[3], ref ring[4]));
        Assert.True(Unsafe.AreSame(ref ring[7], ref ring[long.MaxValue]));
    }

    [Fact]
    public void PublishEventsClaimsWhatFitsAndPublishesABatchLargerThanTheRingInOrder()
    {
        // No gating sequence: the producer never waits, so the ring laps and keeps the last lap's values.
        var ring = new RingBuffer<LongEvent>(4, new BusySpinWaitStrategy());
        long[] items = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

        ring.PublishEvents<long, PlusOneHundred>(items, default);

        Assert.Equal(9, ring.Cursor);
        Assert.Equal([116L, 117L, 118L, 119L], [ring[6].Value, ring[7].Value, ring[8].Value, ring[9].Value]);
    }

    [Fact]
    public void PublishEventsAllocatesNothing()
    {
        var ring = new RingBuffer<LongEvent>(64, new BusySpinWaitStrategy());
        long[] items = [.. Enumerable.Range(0, 100).Select(i => (long)i)];
        ring.PublishEvents<long, PlusOneHundred>(items, default);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ring.PublishEvents<long, PlusOneHundred>(items, default);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(199, ring.Cursor);
    }

    [Fact]
    public void FillsSlotsInPlaceWithoutAllocating()
    {
        var ring = new RingBuffer<LongEvent>(64, new SpinThenBlockWaitStrategy());
        Publish(ring, 1);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Publish(ring, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10_000, ring.Cursor);
        Assert.Equal(10_001, ring[ring.Cursor].Value);
    }

    [Fact]
    public void PublishesABatchClaimAsOne()
    {
        var ring = new RingBuffer<LongEvent>(8, new BusySpinWaitStrategy());

        long hi = ring.Next(4);
        long lo = hi - 3;
        for (long sequence = lo; sequence <= hi; sequence++)
        {
            ring[sequence].Value = sequence * 10;
        }

        Assert.Equal(3, hi);
        Assert.Equal(Sequence.InitialValue, ring.Cursor);
        ring.Publish(lo, hi);
        Assert.Equal(3, ring.Cursor);
        Assert.Equal(30, ring[3].Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(9)]
    public void RejectsAClaimOutsideOneToTheBufferSize(int n)
    {
        var ring = new RingBuffer<LongEvent>(8, new BusySpinWaitStrategy());

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(n));

        Assert.Contains("1 to 8 slots", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNextFailsWhileTheSlowestConsumerHoldsEverySlot()
    {
        var ring = new RingBuffer<LongEvent>(4, new BusySpinWaitStrategy());
        var consumer = new Sequence();
        ring.AddGatingSequences(consumer);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryNext(out long sequence));
            ring.Publish(sequence);
        }

        Assert.False(ring.TryNext(out _));
        Assert.Equal(0, ring.GetRemainingCapacity());

        consumer.SetValue(1);

        Assert.Equal(2, ring.GetRemainingCapacity());
        Assert.True(ring.TryNext(out long next));
        Assert.Equal(4, next);
        Assert.False(ring.TryNext(2, out _));
        Assert.True(ring.TryNext(out _));
        Assert.False(ring.TryNext(out _));
    }

    [Fact]
    public void AnUngatedRingAlwaysHasRoom()
    {
        var ring = new RingBuffer<LongEvent>(4, new BusySpinWaitStrategy());

        Publish(ring, 100);

        Assert.Equal(4, ring.GetRemainingCapacity());
        Assert.Equal(99, ring.Cursor);
    }

    [Fact]
    public void AGatingSequenceAddedLateStartsAtTheCursor()
    {
        var ring = new RingBuffer<LongEvent>(8, new BusySpinWaitStrategy());
        Publish(ring, 20);
        var consumer = new Sequence();

        ring.AddGatingSequences(consumer);

        Assert.Equal(19, consumer.Value);
        Assert.Equal(8, ring.GetRemainingCapacity());
        Assert.True(ring.RemoveGatingSequence(consumer));
        Assert.False(ring.RemoveGatingSequence(consumer));
    }

    [Fact]
    public async Task TheProducerWaitsForAStalledConsumerInsteadOfOverwritingItsSlot()
    {
        const int BufferSize = 8;
        const int Events = 100;
        var ring = new RingBuffer<LongEvent>(BufferSize, new SpinThenBlockWaitStrategy());
        using var release = new ManualResetEventSlim();
        var handler = new StallingHandler(release);
        var processor = new BatchEventProcessor<LongEvent>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        processor.Start("stalled consumer");

        var producer = Task.Factory.StartNew(() => Publish(ring, Events), TaskCreationOptions.LongRunning);

        // The handler holds slot 0, so the producer can fill the other slots and no more.
        Eventually.Until(() => handler.Stalled && ring.Cursor == BufferSize - 1, "the producer has filled the ring");
        // Proving the producer does not go on needs a window of time; the ring being full, it
        // would have overwritten slot 0 at once if it were going to.
        var first = await Task.WhenAny(producer, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(producer, first);
        Assert.Equal(BufferSize - 1, ring.Cursor);
        Assert.Equal(0, ring.GetRemainingCapacity());

        release.Set();

        await producer.WaitAsync(Eventually.DefaultTimeout);
        Eventually.Until(() => processor.Sequence.Value == Events - 1, "the consumer has processed every event");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(Enumerable.Range(1, Events).Select(v => (long)v), handler.Values);
    }

    /// <summary>Publishes values 1, 2, ... so that value = sequence + 1 for a ring that started empty.</summary>
    private static void Publish(RingBuffer<LongEvent> ring, int count)
    {
        for (int i = 0; i < count; i++)
        {
            long sequence = ring.Next();
            ring[sequence].Value = sequence + 1;
            ring.Publish(sequence);
        }
    }

    /// <summary>Blocks in its first event until released, then reads the slot it was given: a
    /// producer that had overwritten the slot meanwhile would show up in <see cref="Values"/>.</summary>
    private sealed class StallingHandler(ManualResetEventSlim release) : IEventHandler<LongEvent>
    {
        private volatile bool _stalled;

        public List<long> Values { get; } = [];

        public bool Stalled => _stalled;

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch)
        {
            if (sequence == 0)
            {
                _stalled = true;
                release.Wait(Eventually.DefaultTimeout);
            }

            Values.Add(data.Value);
        }
    }

    private readonly struct PlusOneHundred : IEventTranslator<LongEvent, long>
    {
        public void TranslateTo(ref LongEvent slot, in long item) => slot.Value = item + 100;
    }
}
