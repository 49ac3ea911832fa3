using PriceFeed.Server.Ring;
using PriceFeed.Tests.Fanout;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Ring;

/// <summary><see cref="BatchEventProcessor{T}.Tick"/>: the handler's <c>OnTick</c> on the processor's thread, between
/// batches, also while it is blocked; never hiding a halt.</summary>
[Collection(RingThreads.Name)]
public sealed class BatchEventProcessorTickTests
{
    /// <summary>The strategies of a consumer with a thread of its own, by setting name.</summary>
    public static TheoryData<string> ThreadStrategies => new() { "blocking", "spin-then-block", "yielding", "busy-spin" };

    [Theory]
    [MemberData(nameof(ThreadStrategies))]
    public void AProcessorWaitingOnAnEmptyRingTicksWhenAsked(string strategy)
    {
        var (ring, processor, handler) = Create(strategy);
        var thread = processor.Start("tick while waiting");
        Eventually.Until(() => processor.IsRunning, "the processor runs");

        for (var tick = 1; tick <= 3; tick++)
        {
            processor.Tick();
            Eventually.Until(() => handler.Ticks == tick, $"tick {tick} is taken");
        }

        // Still a consumer: events published after the ticks are processed.
        Publish(ring, 5);
        Eventually.Until(() => processor.Sequence.Value == 4, "the events are processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.Equal(3, handler.Ticks);
        Assert.Equal(5, handler.Events);
        Assert.Equal([thread.ManagedThreadId], handler.Threads);
        Assert.Equal(0, handler.Overlaps);
    }

    [Theory]
    [InlineData("blocking")]
    [InlineData("yielding")]
    public void TicksWhileEventsFlowAreEachTakenOnTheProcessorsThreadBetweenEvents(string strategy)
    {
        const int Ticks = 200;
        const int MaxEvents = 50_000_000;
        var (ring, processor, handler) = Create(strategy, bufferSize: 64);
        var thread = processor.Start("tick while flowing");
        var stop = false;
        var events = 0;
        var producer = new Thread(() =>
        {
            // Publishes until the ticks are done (bounded by a count), so they land while events flow.
            for (; events < MaxEvents && !Volatile.Read(ref stop); events++)
            {
                Publish(ring, 1);
            }
        })
        { IsBackground = true, Name = "tick-producer" };
        producer.Start();
        Eventually.Until(() => handler.Events > 0, "events flow");

        for (var tick = 1; tick <= Ticks; tick++)
        {
            var before = handler.Ticks;
            processor.Tick();
            Eventually.Until(() => handler.Ticks > before, $"tick {tick} is taken");
        }

        // A burst may be coalesced, but not lost: at least one OnTick after it, at most one per Tick.
        var beforeBurst = handler.Ticks;
        for (var i = 0; i < 1000; i++)
        {
            processor.Tick();
        }

        Eventually.Until(() => handler.Ticks > beforeBurst, "the burst is taken");
        Volatile.Write(ref stop, true);
        Assert.True(producer.Join(Eventually.DefaultTimeout), "the producer ends");
        Eventually.Until(() => processor.Sequence.Value == events - 1, "every event is processed");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.InRange(handler.Ticks, Ticks + 1, Ticks + 1000);
        Assert.Equal(events, handler.Events);
        Assert.True(events < MaxEvents, "the ticks were taken while events flowed");
        Assert.True(handler.TicksBetweenEvents > 0, $"ticks came between events: {handler.TicksBetweenEvents} of {handler.Ticks} after an event since the tick before");
        Assert.Equal(-1, handler.FirstOutOfOrder);
        Assert.Equal([thread.ManagedThreadId], handler.Threads);
        Assert.Equal(0, handler.Overlaps);
    }

    /// <summary>A tick and a halt land together, many times over: the processor's thread always ends, soon.</summary>
    [Theory]
    [InlineData("blocking")]
    [InlineData("spin-then-block")]
    public void ATickRacingAHaltNeverLosesTheHalt(string strategy)
    {
        const int Rounds = 300;
        BatchEventProcessor<LongEvent>? processor = null;
        Thread? thread = null;
        var stuck = new List<int>();
        Litmus.Run(
            Rounds,
            setup: round =>
            {
                (_, processor, _) = Create(strategy);
                thread = processor.Start($"tick-halt-{round}");
                Eventually.Until(() => processor.IsRunning, "the processor runs");
                if (round % 3 == 1)
                {
                    processor.Tick(); // sometimes a tick already in flight too
                }
            },
            left: _ =>
            {
                processor!.Tick();
                processor.Tick();
            },
            right: _ => processor!.Halt(),
            check: round =>
            {
                if (!thread!.Join(TimeSpan.FromSeconds(10)))
                {
                    stuck.Add(round);
                    processor!.Halt();
                }
            },
            stagger: 2000);

        Assert.True(stuck.Count == 0, $"rounds whose processor did not end after its halt: {string.Join(", ", stuck)}");
    }

    [Fact]
    public void AnOnTickThatThrowsGoesToTheExceptionHandlerAndTheProcessorGoesOn()
    {
        var exceptions = new RecordingExceptionHandler();
        var (ring, processor, handler) = Create("blocking", exceptionHandler: exceptions);
        handler.ThrowOnTick = 1;
        processor.Start("throwing tick");
        Eventually.Until(() => processor.IsRunning, "the processor runs");

        processor.Tick();
        Eventually.Until(() => exceptions.TickFailures.Count == 1, "the failed tick is handled");
        Publish(ring, 3);
        Eventually.Until(() => processor.Sequence.Value == 2, "the events after it are processed");
        processor.Tick();
        Eventually.Until(() => handler.Ticks == 2, "the next tick is taken");

        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
        Assert.IsType<InvalidOperationException>(Assert.Single(exceptions.TickFailures));
        Assert.Equal(3, handler.Events);
    }

    [Fact]
    public void ATickAskedBeforeTheRunIsTakenOnceItRuns()
    {
        var (_, processor, handler) = Create("blocking");
        processor.Tick();

        processor.Start("tick before run");

        Eventually.Until(() => handler.Ticks == 1, "the tick asked before the run is taken");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));
    }

    [Fact]
    public void AHaltedProcessorTakesNoTick()
    {
        var (_, processor, handler) = Create("blocking");
        processor.Start("halted");
        Eventually.Until(() => processor.IsRunning, "the processor runs");
        Assert.True(processor.HaltAndWait(Eventually.DefaultTimeout));

        processor.Tick();

        Assert.Equal(0, handler.Ticks);
        Assert.False(processor.IsRunning);
    }

    private static (RingBuffer<LongEvent> Ring, BatchEventProcessor<LongEvent> Processor, TickHandler Handler) Create(
        string strategy, int bufferSize = 16, IExceptionHandler<LongEvent>? exceptionHandler = null)
    {
        var ring = new RingBuffer<LongEvent>(bufferSize, WaitStrategies.Create(WaitStrategies.Parse(strategy)));
        var handler = new TickHandler();
        var processor = new BatchEventProcessor<LongEvent>(ring, ring.NewBarrier(), handler, exceptionHandler);
        ring.AddGatingSequences(processor.Sequence);
        return (ring, processor, handler);
    }

    private static void Publish(RingBuffer<LongEvent> ring, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var sequence = ring.Next();
            ring[sequence].Value = sequence;
            ring.Publish(sequence);
        }
    }

    /// <summary>Counts events and ticks; notes every thread it is called on, and any call that overlaps another.</summary>
    private sealed class TickHandler : IEventHandler<LongEvent>
    {
        private readonly HashSet<int> _threads = [];
        private int _inside;
        private int _ticks;
        private long _events;
        private long _eventsAtLastTick;

        public int ThrowOnTick { get; set; }

        public int Ticks => Volatile.Read(ref _ticks);

        public long Events => Volatile.Read(ref _events);

        public long FirstOutOfOrder { get; private set; } = -1;

        public int Overlaps { get; private set; }

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

        public void OnEvent(ref LongEvent data, long sequence, bool endOfBatch)
        {
            Enter();
            if (data.Value != Events && FirstOutOfOrder < 0)
            {
                FirstOutOfOrder = Events;
            }

            Volatile.Write(ref _events, _events + 1);
            Leave();
        }

        /// <summary>Ticks with an event processed since the tick before.</summary>
        public int TicksBetweenEvents { get; private set; }

        public void OnTick()
        {
            Enter();
            TicksBetweenEvents += _events != _eventsAtLastTick ? 1 : 0;
            _eventsAtLastTick = _events;
            var tick = Interlocked.Increment(ref _ticks);
            Leave();
            if (tick == ThrowOnTick)
            {
                throw new InvalidOperationException($"OnTick fails on tick {tick}, as the test asks.");
            }
        }

        private void Enter()
        {
            if (Interlocked.Increment(ref _inside) != 1)
            {
                Overlaps++;
            }

            var id = Environment.CurrentManagedThreadId;
            lock (_threads)
            {
                _threads.Add(id);
            }
        }

        private void Leave() => Interlocked.Decrement(ref _inside);
    }

    private sealed class RecordingExceptionHandler : IExceptionHandler<LongEvent>
    {
        public List<Exception> TickFailures { get; } = [];

        public void HandleEventException(Exception exception, long sequence, ref LongEvent data) => throw new InvalidOperationException("an event failed", exception);

        public void HandleOnStartException(Exception exception) => throw new InvalidOperationException("OnStart failed.", exception);

        public void HandleOnShutdownException(Exception exception) => throw new InvalidOperationException("OnShutdown failed.", exception);

        public void HandleOnTickException(Exception exception)
        {
            lock (TickFailures)
            {
                TickFailures.Add(exception);
            }
        }
    }
}
