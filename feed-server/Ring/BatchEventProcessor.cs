using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// Runs an <see cref="IEventHandler{T}"/> over everything published to a ring, batch by
/// batch: it waits once for all that is available, hands each event over in order, then
/// records its progress once for the whole batch.
/// </summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <remarks>
/// <para>Threading: <see cref="Run"/> occupies the thread that calls it until
/// <see cref="Halt"/>; <see cref="Start"/> makes that a dedicated background thread, and
/// <see cref="HaltAndWait"/> stops it (both called by the processor's owner, one thread at a
/// time). <see cref="Halt"/>, <see cref="IsRunning"/> and <see cref="Sequence"/> may be used
/// from any thread. A processor runs on one thread at a time; after a halt it can run again
/// and resumes after the last event it processed, so nothing is lost or repeated.</para>
/// <para>Its <see cref="Sequence"/> gates the producer (add it with
/// <see cref="RingBuffer{T}.AddGatingSequences"/>): it is published once per batch, so a
/// batch's slots are released together, after the handler saw <c>endOfBatch</c>.</para>
/// <para>A handler exception goes to the <see cref="IExceptionHandler{T}"/>; the default,
/// <see cref="LogAndContinueExceptionHandler{T}"/>, logs it and moves on to the next event.</para>
/// </remarks>
internal sealed class BatchEventProcessor<T>
    where T : struct
{
    private const int Idle = 0;
    private const int Halted = 1;
    private const int Running = 2;

    private readonly RingBuffer<T> _ringBuffer;
    private readonly ISequenceBarrier _sequenceBarrier;
    private readonly IEventHandler<T> _eventHandler;
    private readonly IExceptionHandler<T> _exceptionHandler;
    private readonly Sequence _sequence = new();
    private int _running = Idle;
    private int _tickRequested;
    private Thread? _thread;

    /// <summary>Creates a processor of <paramref name="ringBuffer"/>'s events.</summary>
    /// <param name="ringBuffer">The ring whose slots the handler reads.</param>
    /// <param name="sequenceBarrier">The barrier to wait on, from <see cref="RingBuffer{T}.NewBarrier"/>.</param>
    /// <param name="eventHandler">Called for every event, on the processor's thread.</param>
    /// <param name="exceptionHandler">What to do when the handler throws; by default
    /// <see cref="LogAndContinueExceptionHandler{T}"/> without a logger.</param>
    public BatchEventProcessor(
        RingBuffer<T> ringBuffer,
        ISequenceBarrier sequenceBarrier,
        IEventHandler<T> eventHandler,
        IExceptionHandler<T>? exceptionHandler = null)
    {
        ArgumentNullException.ThrowIfNull(ringBuffer);
        ArgumentNullException.ThrowIfNull(sequenceBarrier);
        ArgumentNullException.ThrowIfNull(eventHandler);
        _ringBuffer = ringBuffer;
        _sequenceBarrier = sequenceBarrier;
        _eventHandler = eventHandler;
        _exceptionHandler = exceptionHandler ?? new LogAndContinueExceptionHandler<T>();
    }

    /// <summary>The last sequence processed: the producer's gating sequence.</summary>
    public Sequence Sequence => _sequence;

    /// <summary>Whether <see cref="Run"/> is executing (and no halt was requested).</summary>
    public bool IsRunning => Volatile.Read(ref _running) == Running;

    /// <summary>Processes events on the calling thread until <see cref="Halt"/>.</summary>
    /// <remarks>Calls <see cref="IEventHandler{T}.OnStart"/> first and
    /// <see cref="IEventHandler{T}.OnShutdown"/> last. If <see cref="Halt"/> was called before
    /// the run began, it returns after those two calls without processing anything.</remarks>
    /// <exception cref="InvalidOperationException">The processor is already running.</exception>
    public void Run()
    {
        int previous = Interlocked.CompareExchange(ref _running, Running, Idle);
        if (previous == Running)
        {
            ThrowHelper.ThrowAlreadyRunning();
        }

        if (previous == Halted)
        {
            // Halted before it started: honour the halt, as an empty run.
            NotifyStart();
            NotifyShutdown();
            Volatile.Write(ref _running, Idle);
            return;
        }

        _sequenceBarrier.ClearAlert();

        // Orders the clear before the read of _running below: a Halt that stored Halted after
        // that read stores its alert after the clear, so the alert is not lost.
        Interlocked.MemoryBarrier();

        NotifyStart();
        try
        {
            if (Volatile.Read(ref _running) == Running)
            {
                // A tick asked before the clear above lost its alert there; its request is still here (see Tick).
                TakeTick();
                ProcessEvents();
            }
        }
        finally
        {
            NotifyShutdown();
            Volatile.Write(ref _running, Idle);
        }
    }

    /// <summary>Asks the processor to stop after the batch in progress; returns at once.</summary>
    /// <remarks>Wakes the processor if it is blocked waiting for events.</remarks>
    public void Halt()
    {
        Volatile.Write(ref _running, Halted);
        _sequenceBarrier.Alert();
    }

    /// <summary>
    /// Asks the processor to call its handler's <see cref="IEventHandler{T}.OnTick"/> between two batches, soon, also
    /// when it is blocked waiting for events; returns at once. Any thread.
    /// </summary>
    /// <remarks>It rides on the barrier's alert, which ends any wait: the processor clears the alert, then (after a full
    /// fence) takes the request. A tick stores its request before its alert, so the processor either takes the request
    /// then or sees the alert again on its next wait. A <see cref="Halt"/> stores its state before its alert too, and is
    /// checked again after the clear, so a tick never hides a halt. A run clears the alert when it starts, then takes a
    /// request already there: a tick asked before the run (or while halted) is taken once it runs.</remarks>
    public void Tick()
    {
        Volatile.Write(ref _tickRequested, 1);
        _sequenceBarrier.Alert();
    }

    /// <summary>Starts <see cref="Run"/> on a new background thread named <paramref name="threadName"/>.</summary>
    /// <returns>The thread, already started.</returns>
    /// <exception cref="InvalidOperationException">The processor's previous thread has not stopped.</exception>
    public Thread Start(string threadName)
    {
        if (_thread is { IsAlive: true })
        {
            ThrowHelper.ThrowAlreadyRunning();
        }

        // A dedicated thread, not the thread pool: the processor keeps it for its whole life.
        var thread = new Thread(Run) { Name = threadName, IsBackground = true };
        _thread = thread;
        thread.Start();
        return thread;
    }

    /// <summary>Halts the processor and waits for the thread from <see cref="Start"/> to end.</summary>
    /// <returns><see langword="true"/> if it ended within <paramref name="timeout"/> (or was
    /// never started).</returns>
    public bool HaltAndWait(TimeSpan timeout)
    {
        Halt();
        return _thread?.Join(timeout) ?? true;
    }

    private void ProcessEvents()
    {
        long nextSequence = _sequence.Value + 1;
        while (true)
        {
            try
            {
                long availableSequence = _sequenceBarrier.WaitFor(nextSequence);
                while (nextSequence <= availableSequence)
                {
                    _eventHandler.OnEvent(ref _ringBuffer[nextSequence], nextSequence, nextSequence == availableSequence);
                    nextSequence++;
                }

                // Once per batch: the producer may now reuse every slot of the batch.
                _sequence.SetValue(availableSequence);
            }
            catch (AlertException)
            {
                if (Volatile.Read(ref _running) != Running)
                {
                    break;
                }

                // While running, an alert is a tick (see Tick).
                _sequenceBarrier.ClearAlert();
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _running) != Running)
                {
                    break;
                }

                TakeTick();
            }
            catch (Exception ex)
            {
                HandleEventException(ex, nextSequence);
                nextSequence++;
            }
        }
    }

    private void TakeTick()
    {
        if (Interlocked.Exchange(ref _tickRequested, 0) == 1)
        {
            EventHandlerNotifications.NotifyTick(_eventHandler, _exceptionHandler);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void HandleEventException(Exception exception, long sequence)
    {
        _exceptionHandler.HandleEventException(exception, sequence, ref _ringBuffer[sequence]);

        // The failed event counts as processed: its slot is released and it is not retried.
        _sequence.SetValue(sequence);
    }

    private void NotifyStart() => EventHandlerNotifications.NotifyStart(_eventHandler, _exceptionHandler);

    private void NotifyShutdown() => EventHandlerNotifications.NotifyShutdown(_eventHandler, _exceptionHandler);
}
