namespace PriceFeed.Server.Ring;

/// <summary>
/// The wait strategy of a ring whose consumer owns no thread (<see cref="ScheduledEventProcessor{T}"/>):
/// nothing ever waits; each publish signals the consumer, which schedules a run if none is due.
/// </summary>
/// <remarks>
/// Why: on a machine with one or two cores a consumer thread that spins, yields or blocks pays a
/// wake-up per batch and then wakes the event loops it feeds, a second one; a consumer that runs
/// as a task on an event loop pays one, and the drains it asks of that loop's sessions run right
/// after it with none (docs/performance.md). <see cref="WaitFor"/> is not for this ring's consumer.
/// </remarks>
internal sealed class SignallingWaitStrategy : IWaitStrategy
{
    private Action? _signal;

    /// <summary>Sets what a publish calls; once, before the producer starts.</summary>
    public void Attach(Action signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        if (Interlocked.CompareExchange(ref _signal, signal, null) is not null)
        {
            throw new InvalidOperationException("This ring already signals a consumer: a signalling ring has exactly one.");
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: a scheduled consumer reads the cursor, it never waits on it.</exception>
    public long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier) =>
        throw new InvalidOperationException(
            "A ring with the signalling wait strategy is consumed by a ScheduledEventProcessor, which never waits; use another strategy for a thread that waits.");

    /// <inheritdoc/>
    public void SignalAllWhenBlocking() => Volatile.Read(ref _signal)?.Invoke();
}
