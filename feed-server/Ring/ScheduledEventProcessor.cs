using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// A consumer of a ring that owns no thread: the producer's publish asks for a run, and a run
/// processes what is published, in batches, on whatever executor its owner chose (an event loop).
/// </summary>
/// <typeparam name="T">The slot type.</typeparam>
/// <remarks>
/// <para>The ring must use a <see cref="SignallingWaitStrategy"/>, which <see cref="Start"/> attaches to.
/// A run is requested at most once at a time (<c>_runRequested</c>), so the executor holds at most one
/// pending run however fast the producer publishes; a run takes at most <c>maxBatch</c> events, then
/// asks for another run if more are published, so a burst does not hold the executor (and the sockets
/// it serves) for long.</para>
/// <para>The handshake with the producer is a store then a load on each side: the producer publishes
/// the cursor then reads the request; a run clears the request then reads the cursor. A full fence on
/// both sides means at least one of them sees the other: no published event waits for a next publish.</para>
/// <para>Threads: <see cref="Signal"/> on the producer's thread; <see cref="Run"/> on the executor, one
/// run at a time (the request flag guarantees it); <see cref="Halt"/> and <see cref="Sequence"/> anywhere.
/// A handler exception goes to the <see cref="IExceptionHandler{T}"/> and the run goes on with the next
/// event, as <see cref="BatchEventProcessor{T}"/> does.</para>
/// </remarks>
internal sealed class ScheduledEventProcessor<T>
    where T : struct
{
    /// <summary>1,024 events: about 0.1 ms of fan-out work, after which the executor serves its sockets again.</summary>
    public const int DefaultMaxBatch = 1024;

    private readonly RingBuffer<T> _ring;
    private readonly SignallingWaitStrategy _waitStrategy;
    private readonly IEventHandler<T> _handler;
    private readonly IExceptionHandler<T> _exceptionHandler;
    private readonly Sequence _sequence = new();
    private readonly int _maxBatch;
    private Action? _requestRun;
    private int _runRequested;
    private int _tickRequested;
    private volatile bool _halted;

    public ScheduledEventProcessor(
        RingBuffer<T> ring,
        SignallingWaitStrategy waitStrategy,
        IEventHandler<T> handler,
        IExceptionHandler<T>? exceptionHandler = null,
        int maxBatch = DefaultMaxBatch)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(waitStrategy);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _ring = ring;
        _waitStrategy = waitStrategy;
        _handler = handler;
        _exceptionHandler = exceptionHandler ?? new LogAndContinueExceptionHandler<T>();
        _maxBatch = maxBatch;
    }

    /// <summary>The last sequence processed: the producer's gating sequence.</summary>
    public Sequence Sequence => _sequence;

    /// <summary>Starts consuming: <paramref name="requestRun"/> must arrange one call of <see cref="Run"/> on the executor, soon.</summary>
    /// <remarks>It is called on the producer's thread, so it must not block; it may throw if the executor has shut down.</remarks>
    public void Start(Action requestRun)
    {
        ArgumentNullException.ThrowIfNull(requestRun);
        _requestRun = requestRun;
        NotifyStart();
        _waitStrategy.Attach(Signal);
        Signal();
    }

    /// <summary>Asks for a run unless one is already asked for and has not ended. The producer's side, after a publish.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Signal()
    {
        // The producer's cursor store, then this load: see the remarks.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _runRequested) == 0 && !_halted && Interlocked.CompareExchange(ref _runRequested, 1, 0) == 0)
        {
            RequestRun();
        }
    }

    /// <summary>
    /// Asks for a call of the handler's <see cref="IEventHandler{T}.OnTick"/> at the start of a run, soon; returns at
    /// once. Any thread. A run already asked for takes it; one that began before the request sees it when it ends.
    /// </summary>
    public void Tick()
    {
        // Before Start there is no executor to ask (asking would fail and halt the processor): Start's own Signal asks
        // then. The exchange's full fence orders the request before the read of _requestRun, which Start writes first.
        Interlocked.Exchange(ref _tickRequested, 1);
        if (Volatile.Read(ref _requestRun) is not null)
        {
            Signal();
        }
    }

    /// <summary>Processes up to the batch limit of what is published, then asks again if more is. On the executor only.</summary>
    public void Run()
    {
        if (!_halted && Interlocked.Exchange(ref _tickRequested, 0) == 1)
        {
            EventHandlerNotifications.NotifyTick(_handler, _exceptionHandler);
        }

        if (!_halted)
        {
            var next = _sequence.Value + 1;
            var available = Math.Min(_ring.Cursor, next + _maxBatch - 1);
            if (available >= next)
            {
                Process(next, available);
            }
        }

        // Clear the request with a full fence, then look again: whatever was published meanwhile is ours to ask for.
        Interlocked.Exchange(ref _runRequested, 0);
        if (!_halted && (_ring.Cursor > _sequence.Value || Volatile.Read(ref _tickRequested) == 1))
        {
            Signal();
        }
    }

    /// <summary>Stops asking for runs; a run already under way finishes its batch. Any thread.</summary>
    public void Halt()
    {
        if (!_halted)
        {
            _halted = true;
            NotifyShutdown();
        }
    }

    private void Process(long next, long available)
    {
        while (next <= available)
        {
            try
            {
                for (; next <= available; next++)
                {
                    _handler.OnEvent(ref _ring[next], next, next == available);
                }
            }
            catch (Exception ex)
            {
                // The failed event counts as processed (its slot is released, it is not retried); the batch goes on.
                _exceptionHandler.HandleEventException(ex, next, ref _ring[next]);
                next++;
            }
        }

        // Once per batch: the producer may now reuse every slot of it.
        _sequence.SetValue(available);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RequestRun()
    {
        try
        {
            _requestRun!();
        }
        catch (Exception)
        {
            // The executor has shut down (the server is stopping): nothing is left to serve, so nothing is asked again.
            _halted = true;
        }
    }

    private void NotifyStart() => EventHandlerNotifications.NotifyStart(_handler, _exceptionHandler);

    private void NotifyShutdown() => EventHandlerNotifications.NotifyShutdown(_handler, _exceptionHandler);
}
