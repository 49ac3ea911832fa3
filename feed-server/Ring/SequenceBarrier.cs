using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// The barrier a consumer of a <see cref="RingBuffer{T}"/> waits on: it tracks the producer's
/// cursor through the ring's wait strategy.
/// </summary>
/// <remarks>
/// One barrier per consumer. The consumer's thread calls <see cref="WaitFor"/>; any thread
/// may call <see cref="Alert"/> (that is how <see cref="BatchEventProcessor{T}.Halt"/> stops
/// a consumer blocked in a wait). With one producer every sequence up to the cursor is
/// published, so the cursor itself is the highest available sequence.
/// </remarks>
internal sealed class SequenceBarrier : ISequenceBarrier
{
    private readonly IWaitStrategy _waitStrategy;
    private readonly Sequence _cursor;

    // Written by any thread, read by the consumer at every wait: volatile for visibility.
    private volatile bool _alerted;

    /// <summary>Creates a barrier on <paramref name="cursor"/>.</summary>
    public SequenceBarrier(Sequence cursor, IWaitStrategy waitStrategy)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        ArgumentNullException.ThrowIfNull(waitStrategy);
        _cursor = cursor;
        _waitStrategy = waitStrategy;
    }

    /// <inheritdoc/>
    public long Cursor => _cursor.Value;

    /// <inheritdoc/>
    public bool IsAlerted => _alerted;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence)
    {
        CheckAlert();

        // Fast path: the producer is already ahead, as it is whenever the consumer is behind.
        long available = _cursor.Value;
        if (available >= sequence)
        {
            return available;
        }

        return _waitStrategy.WaitFor(sequence, _cursor, this);
    }

    /// <inheritdoc/>
    public void Alert()
    {
        _alerted = true;
        _waitStrategy.SignalAllWhenBlocking();
    }

    /// <inheritdoc/>
    public void ClearAlert() => _alerted = false;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckAlert()
    {
        if (_alerted)
        {
            ThrowHelper.ThrowAlert();
        }
    }
}
