using PriceFeed.Server.Ring;
using PriceFeed.Tests.Fanout;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Ring;

/// <summary><see cref="ScheduledEventProcessor{T}.Tick"/>: the handler's <c>OnTick</c> at the start of a run on the executor,
/// including a tick asked while a run is under way (the end-of-run check asks for another run).</summary>
public sealed partial class ScheduledEventProcessorTests
{
    [Fact]
    public void ATickCallsOnTickOnTheExecutor()
    {
        using var executor = new TestExecutor();
        var (ring, processor, handler) = CreateTicking(executor);
        processor.Start(executor.RequestRun);

        for (var tick = 1; tick <= 3; tick++)
        {
            processor.Tick();
            Eventually.Until(() => handler.Ticks == tick, $"tick {tick} is taken");
        }

        ring.Publish(ring.Next());
        Eventually.Until(() => processor.Sequence.Value == 0, "the event is processed");
        Assert.Equal(3, handler.Ticks);
        Assert.Equal([executor.ThreadId], handler.Threads);
    }

    [Fact]
    public void ATickAskedDuringARunIsTakenByTheNextRunThatTheEndOfTheRunAsksFor()
    {
        var requests = 0;
        var (ring, processor, handler) = CreateTicking(executor: null);
        processor.Start(() => requests++);
        processor.Run();
        Assert.Equal(1, requests);

        // The tick lands while the run processes its event, after the run's own look at the tick request.
        handler.OnEventAction = processor.Tick;
        ring.Publish(ring.Next());
        Assert.Equal(2, requests);
        processor.Run();

        Assert.Equal(0, handler.Ticks);
        Assert.Equal(3, requests);
        handler.OnEventAction = null;
        processor.Run();
        Assert.Equal(1, handler.Ticks);
        Assert.Equal(3, requests);
    }

    [Fact]
    public void ATickIsTakenOnceAndAHaltedProcessorTakesNone()
    {
        var requests = 0;
        var (_, processor, handler) = CreateTicking(executor: null);
        processor.Start(() => requests++);
        processor.Tick();
        processor.Tick();
        Assert.Equal(1, requests);

        processor.Run();
        processor.Run();
        Assert.Equal(1, handler.Ticks);
        Assert.Equal(1, requests);

        processor.Halt();
        processor.Tick();
        processor.Run();
        Assert.Equal(1, handler.Ticks);
        Assert.Equal(1, requests);
    }

    [Fact]
    public void ATickBeforeStartIsTakenOnceStartedAndHaltsNothing()
    {
        var requests = 0;
        var (ring, processor, handler) = CreateTicking(executor: null);
        processor.Tick();

        processor.Start(() => requests++);
        processor.Run();

        Assert.Equal(1, handler.Ticks);
        ring.Publish(ring.Next());
        Assert.Equal(2, requests);
        processor.Run();
        Assert.Equal(0, processor.Sequence.Value);
    }

    [Fact]
    public void AnOnTickThatThrowsGoesToTheExceptionHandlerAndTheRunGoesOn()
    {
        var failures = new List<Exception>();
        var (ring, processor, handler) = CreateTicking(executor: null, new TickFailureRecorder(failures));
        handler.ThrowOnTick = true;
        processor.Start(() => { });
        ring.Publish(ring.Next());
        processor.Tick();

        processor.Run();

        Assert.IsType<InvalidOperationException>(Assert.Single(failures));
        Assert.Equal(1, handler.Ticks);
        Assert.Equal(0, processor.Sequence.Value);
    }

    /// <summary>A tick racing the end of a run: either that run took it, or a run is asked for that will.</summary>
    [Fact]
    public void ATickRacingTheEndOfARunIsNeverLeftWithoutARun()
    {
        const int Rounds = 50_000;
        var requests = 0;
        var (ring, processor, handler) = CreateTicking(executor: null);
        processor.Start(() => Interlocked.Increment(ref requests));
        var requestsBefore = 0;
        var ticksBefore = 0;
        var stranded = new List<int>();
        Litmus.Run(
            Rounds,
            setup: _ =>
            {
                // Whatever is asked for is taken; then one event asks for a run, which the right thread makes.
                while (processor.Sequence.Value < ring.Cursor || handler.TickPending(processor))
                {
                    processor.Run();
                }

                ring.Publish(ring.Next());
                requestsBefore = Volatile.Read(ref requests);
                ticksBefore = handler.Ticks;
            },
            left: _ => processor.Tick(),
            right: _ => processor.Run(),
            check: round =>
            {
                if (handler.Ticks == ticksBefore && Volatile.Read(ref requests) == requestsBefore)
                {
                    stranded.Add(round);
                }
            });

        Assert.True(stranded.Count == 0, $"{stranded.Count} of {Rounds} rounds left a tick with no run asked for (first: {stranded.FirstOrDefault()})");
    }

    private static (RingBuffer<LongEvent> Ring, ScheduledEventProcessor<LongEvent> Processor, TickingHandler Handler) CreateTicking(
        TestExecutor? executor, IExceptionHandler<LongEvent>? exceptionHandler = null)
    {
        var strategy = new SignallingWaitStrategy();
        var ring = new RingBuffer<LongEvent>(1024, strategy);
        var handler = new TickingHandler();
        var processor = new ScheduledEventProcessor<LongEvent>(ring, strategy, handler, exceptionHandler);
        ring.AddGatingSequences(processor.Sequence);
        executor?.Attach(processor);
        return (ring, processor, handler);
    }

    private sealed class TickingHandler : IEventHandler<LongEvent>
    {
        private readonly HashSet<int> _threads = [];
        private int _ticks;

        public Action? OnEventAction { get; set; }

        public bool ThrowOnTick { get; set; }

        public int Ticks => Volatile.Read(ref _ticks);

        public int[] Threads
        {
            get
            {
                lock (_threads)
                {
                    return [.. _threads];
                }
            }
        }

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch) => OnEventAction?.Invoke();

        public void OnTick()
        {
            lock (_threads)
            {
                _threads.Add(Environment.CurrentManagedThreadId);
            }

            Interlocked.Increment(ref _ticks);
            if (ThrowOnTick)
            {
                throw new InvalidOperationException("OnTick fails, as the test asks.");
            }
        }

        /// <summary>Whether a run now would call OnTick: runs one and says so (the litmus test's setup uses it to settle).</summary>
        public bool TickPending(ScheduledEventProcessor<LongEvent> processor)
        {
            var before = Ticks;
            processor.Run();
            return Ticks != before;
        }
    }

    private sealed class TickFailureRecorder(List<Exception> failures) : IExceptionHandler<LongEvent>
    {
        public void HandleEventException(Exception exception, long sequence, ref LongEvent data) => throw new InvalidOperationException("an event failed", exception);

        public void HandleOnStartException(Exception exception)
        {
        }

        public void HandleOnShutdownException(Exception exception)
        {
        }

        public void HandleOnTickException(Exception exception) => failures.Add(exception);
    }
}
