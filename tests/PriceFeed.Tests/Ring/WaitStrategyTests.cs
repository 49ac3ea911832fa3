using PriceFeed.Server.Ring;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Ring;

/// <summary>
/// What every <see cref="IWaitStrategy"/> must do, run once per strategy by the derived
/// classes: deliver everything in order through the ring, return batches, wake on publish
/// and on alert.
/// </summary>
[Collection(RingThreads.Name)]
public abstract class WaitStrategyTests
{
    [Fact]
    public void DeliversMillionsOfEventsWithTheExactSumAndOrder()
    {
        const int Events = 2_000_000;
        var ring = new RingBuffer<LongEvent>(1024, CreateWaitStrategy());
        var handler = new ChecksumHandler();
        var processor = Attach(ring, handler);
        processor.Start("stress consumer");

        // One-at-a-time claims and batch claims of 1 to 64 slots, interleaved.
        ulong expectedSum = 0;
        long index = 0;
        int batch = 0;
        while (index < Events)
        {
            int size = (int)Math.Min((batch++ % 64) + 1, Events - index);

            long hi = size == 1 ? ring.Next() : ring.Next(size);
            for (long sequence = hi - size + 1; sequence <= hi; sequence++)
            {
                ulong value = ChecksumHandler.ValueOf(index++);
                ring[sequence].Value = (long)value;
                expectedSum += value;
            }

            ring.Publish(hi - size + 1, hi);
        }

        Eventually.Until(() => processor.Sequence.Value == Events - 1, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(-1, handler.FirstOutOfOrder);
        Assert.Equal(Events, handler.Count);
        Assert.Equal(expectedSum, handler.Sum);
    }

    [Fact]
    public void DeliversEveryEventInOrderThroughARingOfFourSlots()
    {
        const int Events = 50_000;
        var ring = new RingBuffer<LongEvent>(4, CreateWaitStrategy());
        var handler = new ChecksumHandler();
        var processor = Attach(ring, handler);
        processor.Start("small ring consumer");

        for (long index = 0; index < Events; index++)
        {
            long sequence = ring.Next();
            ring[sequence].Value = (long)ChecksumHandler.ValueOf(index);
            ring.Publish(sequence);
        }

        Eventually.Until(() => processor.Sequence.Value == Events - 1, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(-1, handler.FirstOutOfOrder);
        Assert.Equal(Events, handler.Count);
    }

    [Fact]
    public void WaitForReturnsTheHighestPublishedSequence()
    {
        var ring = new RingBuffer<LongEvent>(16, CreateWaitStrategy());
        long hi = ring.Next(10);
        ring.Publish(hi - 9, hi);

        Assert.Equal(9, ring.NewBarrier().WaitFor(3));
    }

    [Fact]
    public async Task WakesAWaitingConsumerWhenTheProducerPublishes()
    {
        var ring = new RingBuffer<LongEvent>(16, CreateWaitStrategy());
        var barrier = ring.NewBarrier();
        var waiter = Task.Factory.StartNew(() => barrier.WaitFor(0), TaskCreationOptions.LongRunning);

        // Published whether or not the waiter has started waiting: it must return either way.
        long sequence = ring.Next();
        ring.Publish(sequence);

        Assert.Equal(0, await waiter.WaitAsync(Eventually.DefaultTimeout));
    }

    [Fact]
    public async Task AnAlertEndsAWait()
    {
        var ring = new RingBuffer<LongEvent>(16, CreateWaitStrategy());
        var barrier = ring.NewBarrier();
        var waiter = Task.Factory.StartNew(() => barrier.WaitFor(0), TaskCreationOptions.LongRunning);

        barrier.Alert();

        var exception = await Assert.ThrowsAsync<AlertException>(() => waiter.WaitAsync(Eventually.DefaultTimeout));
        Assert.Same(AlertException.Instance, exception);
        Assert.True(barrier.IsAlerted);
        barrier.ClearAlert();
        Assert.False(barrier.IsAlerted);
    }

    [Fact]
    public void HaltStopsAProcessorThatIsWaitingForEvents()
    {
        var ring = new RingBuffer<LongEvent>(16, CreateWaitStrategy());
        var processor = Attach(ring, new ChecksumHandler());
        processor.Start("idle consumer");
        Eventually.Until(() => processor.IsRunning, "the processor runs");

        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout), "The halt did not reach the waiting processor.");
        Assert.False(processor.IsRunning);
    }

    /// <summary>A new instance of the strategy under test.</summary>
    private protected abstract IWaitStrategy CreateWaitStrategy();

    private static BatchEventProcessor<LongEvent> Attach(RingBuffer<LongEvent> ring, IEventHandler<LongEvent> handler)
    {
        var processor = new BatchEventProcessor<LongEvent>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        return processor;
    }

    /// <summary>Sums the values and checks they arrive as ValueOf(0), ValueOf(1), ...</summary>
    private sealed class ChecksumHandler : IEventHandler<LongEvent>
    {
        private long _expectedIndex;

        public long Count => _expectedIndex;

        public ulong Sum { get; private set; }

        /// <summary>The index of the first event out of order, or -1.</summary>
        public long FirstOutOfOrder { get; private set; } = -1;

        /// <summary>A value that differs for every index (a multiplicative hash).</summary>
        public static ulong ValueOf(long index) => unchecked((ulong)(index + 1) * 0x9E37_79B9_7F4A_7C15UL);

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch)
        {
            long index = _expectedIndex++;
            if ((ulong)data.Value != ValueOf(index) && FirstOutOfOrder < 0)
            {
                FirstOutOfOrder = index;
            }

            Sum = unchecked(Sum + (ulong)data.Value);
        }
    }
}
