using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// Blocks the consumer on a monitor until the producer publishes: no CPU while idle, and a
/// wake-up (a few microseconds, a futex call) whenever the consumer has caught up.
/// </summary>
/// <remarks>
/// <para>Thread-safe. The producer's <see cref="SignalAllWhenBlocking"/> costs one volatile
/// read when no consumer is blocked: it takes the lock and pulses only when the waiter
/// count is non-zero.</para>
/// <para>That check is a Dekker handshake: the producer stores the cursor then reads the
/// waiter count; a consumer stores the waiter count then reads the cursor. Without a
/// store-load fence on both sides each could miss the other's store, and the consumer would
/// sleep on an event that is already published. Rather than put a fence on every publish, the
/// consumer, about to block, pays for both with
/// <see cref="Interlocked.MemoryBarrierProcessWide"/>: after it, either the producer's store
/// to the cursor is visible to the consumer or the consumer's store to the waiter count is
/// visible to the producer. That call costs microseconds, which blocking costs anyway.</para>
/// </remarks>
internal sealed class BlockingWaitStrategy : IWaitStrategy
{
    // A plain object, not System.Threading.Lock: Monitor.Wait and PulseAll need a monitor.
    private readonly object _gate = new();

    // Consumers inside the blocking section. Written under _gate, read without it by the producer.
    private int _waiters;

    /// <inheritdoc/>
    public long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier)
    {
        long available = cursor.Value;
        return available >= sequence ? available : Block(sequence, cursor, barrier);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SignalAllWhenBlocking()
    {
        if (Volatile.Read(ref _waiters) != 0)
        {
            WakeAll();
        }
    }

    /// <summary>Blocks until the cursor reaches <paramref name="sequence"/>; the slow path of
    /// <see cref="WaitFor"/>, shared with <see cref="SpinThenBlockWaitStrategy"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal long Block(long sequence, Sequence cursor, ISequenceBarrier barrier)
    {
        long available;
        lock (_gate)
        {
            _waiters++;
            try
            {
                // The consumer's half of the handshake described in the remarks.
                Interlocked.MemoryBarrierProcessWide();

                while ((available = cursor.Value) < sequence)
                {
                    barrier.CheckAlert();
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                _waiters--;
            }
        }

        return available;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeAll()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
