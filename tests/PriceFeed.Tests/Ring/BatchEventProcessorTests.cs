using PriceFeed.Server.Ring;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Ring;

[Collection(RingThreads.Name)]
public sealed class BatchEventProcessorTests
{
    [Fact]
    public void DeliversEveryEventInOrderAcrossManyWraps()
    {
        const int Events = 1_000_000;
        var ring = new RingBuffer<LongEvent>(16, new SpinThenBlockWaitStrategy());
        var handler = new RecordingHandler(record: false);
        var processor = Attach(ring, handler);
        processor.Start("many wraps");

        PublishValues(ring, 0, Events);

        Eventually.Until(() => processor.Sequence.Value == Events - 1, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(Events, handler.Count);
        Assert.Equal(-1, handler.FirstOutOfOrder);
    }

    [Fact]
    public void EndOfBatchIsTrueExactlyOnTheLastEventOfEachBatch()
    {
        var ring = new RingBuffer<LongEvent>(16, new BlockingWaitStrategy());
        var handler = new RecordingHandler(record: true);
        var processor = Attach(ring, handler);

        // Five events published before the processor starts: its first wait returns all five.
        PublishBatch(ring, 5);
        processor.Start("end of batch");
        Eventually.Until(() => processor.Sequence.Value == 4, "the first batch is processed");

        // Three more, published as one batch while the processor waits.
        PublishBatch(ring, 3);
        Eventually.Until(() => processor.Sequence.Value == 7, "the second batch is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));

        Assert.Equal([false, false, false, false, true, false, false, true], handler.EndOfBatch);
    }

    [Fact]
    public void PublishesItsSequenceOncePerBatch()
    {
        var ring = new RingBuffer<LongEvent>(16, new BlockingWaitStrategy());
        var handler = new RecordingHandler(record: true);
        var processor = Attach(ring, handler);
        handler.Processor = processor;

        PublishBatch(ring, 5);
        processor.Start("sequence per batch");
        Eventually.Until(() => processor.Sequence.Value == 4, "the batch is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));

        // During the batch the producer still sees none of its slots released.
        Assert.Equal([-1, -1, -1, -1, -1], handler.SequenceSeenDuringEvent);
    }

    [Fact]
    public void ResumesAfterTheLastProcessedEventWhenRestarted()
    {
        var ring = new RingBuffer<LongEvent>(256, new SpinThenBlockWaitStrategy());
        var handler = new RecordingHandler(record: true);
        var processor = Attach(ring, handler);

        processor.Start("first run");
        PublishValues(ring, 0, 100);
        Eventually.Until(() => processor.Sequence.Value == 99, "the first run has processed every event");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.False(processor.IsRunning);

        // Published while nobody consumes: the halted processor's sequence still gates them.
        PublishValues(ring, 100, 100);
        Assert.Equal(99, processor.Sequence.Value);

        processor.Start("second run");
        Eventually.Until(() => processor.Sequence.Value == 199, "the second run has processed every event");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));

        Assert.Equal(Enumerable.Range(0, 200).Select(ValueOf), handler.Values);
        Assert.Equal(2, handler.Starts);
        Assert.Equal(2, handler.Shutdowns);
    }

    [Fact]
    public void AHaltBeforeTheRunMakesTheRunEmpty()
    {
        var ring = new RingBuffer<LongEvent>(16, new BlockingWaitStrategy());
        var handler = new RecordingHandler(record: true);
        var processor = Attach(ring, handler);
        PublishValues(ring, 0, 3);

        processor.Halt();
        processor.Run();

        Assert.Empty(handler.Values);
        Assert.Equal(1, handler.Starts);
        Assert.Equal(1, handler.Shutdowns);
        Assert.False(processor.IsRunning);
    }

    [Fact]
    public void RefusesToRunOnTwoThreadsAtOnce()
    {
        var ring = new RingBuffer<LongEvent>(16, new BlockingWaitStrategy());
        var processor = Attach(ring, new RecordingHandler(record: false));
        processor.Start("running once");
        Eventually.Until(() => processor.IsRunning, "the processor runs");

        var exception = Assert.Throws<InvalidOperationException>(processor.Run);

        Assert.Contains("already running", exception.Message, StringComparison.Ordinal);
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
    }

    [Fact]
    public void KeepsProcessingWhenTheHandlerThrows()
    {
        var ring = new RingBuffer<LongEvent>(16, new SpinThenBlockWaitStrategy());
        var handler = new RecordingHandler(record: true) { FailOn = [3, 7] };
        var exceptionHandler = new RecordingExceptionHandler();
        var processor = Attach(ring, handler, exceptionHandler);
        processor.Start("throwing handler");

        PublishValues(ring, 0, 40);

        Eventually.Until(() => processor.Sequence.Value == 39, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal([3, 7], exceptionHandler.FailedSequences);
        Assert.Equal(Enumerable.Range(0, 40).Where(s => s is not (3 or 7)).Select(ValueOf), handler.Values);
    }

    [Fact]
    public void TheDefaultExceptionHandlerCountsFailuresAndContinues()
    {
        var ring = new RingBuffer<LongEvent>(16, new SpinThenBlockWaitStrategy());
        var handler = new RecordingHandler(record: true) { FailOn = [0, 1, 2] };
        var exceptionHandler = new LogAndContinueExceptionHandler<LongEvent>();
        var processor = Attach(ring, handler, exceptionHandler);
        processor.Start("default exception handler");

        PublishValues(ring, 0, 10);

        Eventually.Until(() => processor.Sequence.Value == 9, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(3, exceptionHandler.EventFailures);
        Assert.Equal(7, handler.Values.Count);
    }

    [Fact]
    public void RunsOnANamedBackgroundThread()
    {
        var ring = new RingBuffer<LongEvent>(16, new BlockingWaitStrategy());
        var handler = new RecordingHandler(record: false);
        var processor = Attach(ring, handler);

        var thread = processor.Start("quote ring consumer");
        Eventually.Until(() => processor.IsRunning, "the processor runs");

        Assert.Equal("quote ring consumer", thread.Name);
        Assert.True(thread.IsBackground);
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.False(thread.IsAlive);
    }

    private static long ValueOf(int index) => (index * 7L) + 3;

    private static BatchEventProcessor<LongEvent> Attach(
        RingBuffer<LongEvent> ring,
        IEventHandler<LongEvent> handler,
        IExceptionHandler<LongEvent>? exceptionHandler = null)
    {
        var processor = new BatchEventProcessor<LongEvent>(ring, ring.NewBarrier(), handler, exceptionHandler);
        ring.AddGatingSequences(processor.Sequence);
        return processor;
    }

    private static void PublishValues(RingBuffer<LongEvent> ring, int firstIndex, int count)
    {
        for (int index = firstIndex; index < firstIndex + count; index++)
        {
            long sequence = ring.Next();
            ring[sequence].Value = ValueOf(index);
            ring.Publish(sequence);
        }
    }

    private static void PublishBatch(RingBuffer<LongEvent> ring, int count)
    {
        long hi = ring.Next(count);
        long lo = hi - count + 1;
        for (long sequence = lo; sequence <= hi; sequence++)
        {
            ring[sequence].Value = ValueOf((int)sequence);
        }

        ring.Publish(lo, hi);
    }

    /// <summary>Checks that values arrive as ValueOf(0), ValueOf(1), ...; records them on request.</summary>
    private sealed class RecordingHandler(bool record) : IEventHandler<LongEvent>
    {
        private long _expectedIndex;

        public int[] FailOn { get; init; } = [];

        public BatchEventProcessor<LongEvent>? Processor { get; set; }

        public long Count { get; private set; }

        /// <summary>The index of the first event out of order, or -1.</summary>
        public long FirstOutOfOrder { get; private set; } = -1;

        public List<long> Values { get; } = [];

        public List<bool> EndOfBatch { get; } = [];

        public List<long> SequenceSeenDuringEvent { get; } = [];

        public int Starts { get; private set; }

        public int Shutdowns { get; private set; }

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch)
        {
            long expectedIndex = _expectedIndex++;
            if (data.Value != ValueOf((int)expectedIndex) && FirstOutOfOrder < 0)
            {
                FirstOutOfOrder = expectedIndex;
            }

            if (FailOn.Contains((int)sequence))
            {
                throw new InvalidOperationException($"Handler fails on sequence {sequence}, as the test asks.");
            }

            Count++;
            if (record)
            {
                Values.Add(data.Value);
                EndOfBatch.Add(endOfBatch);
                if (Processor is not null)
                {
                    SequenceSeenDuringEvent.Add(Processor.Sequence.Value);
                }
            }
        }

        public void OnStart() => Starts++;

        public void OnShutdown() => Shutdowns++;
    }

    private sealed class RecordingExceptionHandler : IExceptionHandler<LongEvent>
    {
        public List<long> FailedSequences { get; } = [];

        public void HandleEventException(Exception exception, long sequence, ref LongEvent data) => FailedSequences.Add(sequence);

        public void HandleOnStartException(Exception exception) => throw new InvalidOperationException("OnStart failed.", exception);

        public void HandleOnShutdownException(Exception exception) => throw new InvalidOperationException("OnShutdown failed.", exception);

        public void HandleOnTickException(Exception exception) => throw new InvalidOperationException("OnTick failed.", exception);
    }
}
