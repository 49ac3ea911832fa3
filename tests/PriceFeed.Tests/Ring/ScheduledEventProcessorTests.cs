using System.Collections.Concurrent;
using PriceFeed.Server.Ring;
using PriceFeed.Tests.Fanout;

namespace PriceFeed.Tests.Ring;

public sealed partial class ScheduledEventProcessorTests
{
    [Fact]
    public void ProcessesEveryPublishedEventInOrderOnItsExecutor()
    {
        const int Events = 1_000_000;
        using var executor = new TestExecutor();
        var (ring, processor, handler) = Create(executor, bufferSize: 1024);
        processor.Start(executor.RequestRun);

        long expectedSum = 0;
        for (long i = 1; i <= Events; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
            expectedSum += i;
        }

        Assert.True(SpinWait.SpinUntil(() => processor.Sequence.Value == Events - 1, TimeSpan.FromSeconds(30)), $"processed up to {processor.Sequence.Value}");
        Assert.Equal(expectedSum, handler.Sum);
        Assert.Equal(0, handler.OutOfOrder);
        Assert.Equal(executor.ThreadId, handler.ThreadId);
    }

    [Fact]
    public void AsksForOneRunAtATimeHoweverOftenTheProducerPublishes()
    {
        var requests = 0;
        var (ring, processor, handler) = Create(executor: null, bufferSize: 64);
        processor.Start(() => requests++);
        Assert.Equal(1, requests);

        for (var i = 0; i < 10; i++)
        {
            ring.Publish(ring.Next());
        }

        Assert.Equal(1, requests);
        processor.Run();
        Assert.Equal(10, handler.Count);
        // Nothing more was published: the run asks for no other.
        Assert.Equal(1, requests);
        ring.Publish(ring.Next());
        Assert.Equal(2, requests);
    }

    [Fact]
    public void ARunTakesAtMostItsBatchThenAsksForAnother()
    {
        var requests = 0;
        var (ring, processor, handler) = Create(executor: null, bufferSize: 64, maxBatch: 4);
        processor.Start(() => requests++);
        for (var i = 0; i < 10; i++)
        {
            ring.Publish(ring.Next());
        }

        processor.Run();

        Assert.Equal(4, handler.Count);
        Assert.Equal([3L], handler.EndsOfBatch);
        Assert.Equal(2, requests);
        processor.Run();
        processor.Run();
        Assert.Equal(10, handler.Count);
        Assert.Equal([3L, 7L, 9L], handler.EndsOfBatch);
    }

    [Fact]
    public void AFailingEventIsHandledAndTheBatchGoesOnToItsEnd()
    {
        var failures = new List<long>();
        var (ring, processor, handler) = Create(executor: null, bufferSize: 16, exceptionHandler: new RecordingExceptionHandler(failures));
        handler.FailOn = 1;
        processor.Start(() => { });
        for (var i = 0; i < 3; i++)
        {
            ring.Publish(ring.Next());
        }

        processor.Run();

        Assert.Equal([1L], failures);
        Assert.Equal([2L], handler.EndsOfBatch);
        Assert.Equal(2, processor.Sequence.Value);
    }

    [Fact]
    public void AHaltedProcessorAsksForNoMoreRuns()
    {
        var requests = 0;
        var (ring, processor, _) = Create(executor: null, bufferSize: 16);
        processor.Start(() => requests++);
        processor.Run();

        processor.Halt();
        ring.Publish(ring.Next());

        Assert.Equal(1, requests);
    }

    [Fact]
    public void AnExecutorThatHasShutDownHaltsTheProcessorInsteadOfFailingTheProducer()
    {
        var (ring, processor, _) = Create(executor: null, bufferSize: 16);
        processor.Start(() => throw new InvalidOperationException("the executor has shut down"));

        ring.Publish(ring.Next());
        processor.Run();
        ring.Publish(ring.Next());
    }

    [Fact]
    public void TheSignallingStrategyIsNotWaitedOnAndSignalsOneConsumer()
    {
        var strategy = new SignallingWaitStrategy();
        strategy.Attach(() => { });

        Assert.Throws<InvalidOperationException>(() => strategy.Attach(() => { }));
        var ring = new RingBuffer<LongEvent>(4, strategy);
        Assert.Throws<InvalidOperationException>(() => ring.NewBarrier().WaitFor(0));
    }

    /// <summary>
    /// The handshake with the producer: a publish racing the end of a run must leave either a run asked for
    /// or the event processed, never an event waiting for a next publish (a store then a load on each side).
    /// </summary>
    [Fact]
    public void APublishRacingTheEndOfARunIsNeverLeftWithoutARun()
    {
        const int Rounds = 100_000;
        var requests = 0;
        var (ring, processor, handler) = Create(executor: null, bufferSize: 1024);
        processor.Start(() => Interlocked.Increment(ref requests));
        var requestsBefore = 0;
        var stranded = new List<int>();
        Litmus.Run(
            Rounds,
            setup: _ =>
            {
                // A run is asked for (by the previous publish) and about to end, with nothing left to take.
                while (processor.Sequence.Value < ring.Cursor)
                {
                    processor.Run();
                }

                ring.Publish(ring.Next());
                requestsBefore = Volatile.Read(ref requests);
            },
            left: _ => ring.Publish(ring.Next()),
            right: _ => processor.Run(),
            check: round =>
            {
                if (Volatile.Read(ref requests) == requestsBefore && processor.Sequence.Value < ring.Cursor)
                {
                    stranded.Add(round);
                }
            });

        Assert.True(stranded.Count == 0, $"{stranded.Count} of {Rounds} rounds left a published event with no run asked for");
        Assert.Equal(0, handler.OutOfOrder);
    }

    private static (RingBuffer<LongEvent> Ring, ScheduledEventProcessor<LongEvent> Processor, RecordingHandler Handler) Create(
        TestExecutor? executor, int bufferSize, int maxBatch = ScheduledEventProcessor<LongEvent>.DefaultMaxBatch, IExceptionHandler<LongEvent>? exceptionHandler = null)
    {
        var strategy = new SignallingWaitStrategy();
        var ring = new RingBuffer<LongEvent>(bufferSize, strategy);
        var handler = new RecordingHandler();
        var processor = new ScheduledEventProcessor<LongEvent>(ring, strategy, handler, exceptionHandler, maxBatch);
        ring.AddGatingSequences(processor.Sequence);
        executor?.Attach(processor);
        return (ring, processor, handler);
    }

    private sealed class RecordingHandler : IEventHandler<LongEvent>
    {
        private long _last = -1;

        public long Sum { get; private set; }

        public int Count { get; private set; }

        public int OutOfOrder { get; private set; }

        public long FailOn { get; set; } = -1;

        public List<long> EndsOfBatch { get; } = [];

        public int ThreadId { get; private set; }

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch)
        {
            ThreadId = Environment.CurrentManagedThreadId;
            OutOfOrder += sequence == _last + 1 ? 0 : 1;
            _last = sequence;
            if (endOfBatch)
            {
                EndsOfBatch.Add(sequence);
            }

            if (sequence == FailOn)
            {
                throw new InvalidOperationException("a failing event");
            }

            Sum += data.Value;
            Count++;
        }
    }

    private sealed class RecordingExceptionHandler(List<long> failures) : IExceptionHandler<LongEvent>
    {
        public void HandleEventException(Exception exception, long sequence, ref LongEvent data) => failures.Add(sequence);

        public void HandleOnStartException(Exception exception)
        {
        }

        public void HandleOnShutdownException(Exception exception)
        {
        }

        public void HandleOnTickException(Exception exception)
        {
        }
    }

    /// <summary>A single-thread executor, like an event loop: runs what is queued, in order, on its one thread.</summary>
    private sealed class TestExecutor : IDisposable
    {
        private readonly BlockingCollection<Action> _queue = [];
        private readonly Thread _thread;
        private ScheduledEventProcessor<LongEvent>? _processor;

        public TestExecutor()
        {
            _thread = new Thread(() =>
            {
                foreach (var action in _queue.GetConsumingEnumerable())
                {
                    action();
                }
            })
            { IsBackground = true, Name = "test-executor" };
            _thread.Start();
        }

        public int ThreadId => _thread.ManagedThreadId;

        public void Attach(ScheduledEventProcessor<LongEvent> processor) => _processor = processor;

        public void RequestRun() => _queue.Add(_processor!.Run);

        public void Dispose()
        {
            _queue.CompleteAdding();
            _thread.Join();
            _queue.Dispose();
        }
    }
}
