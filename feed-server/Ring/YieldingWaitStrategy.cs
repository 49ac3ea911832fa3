namespace PriceFeed.Server.Ring;

/// <summary>
/// Spins on the cursor for a short while, then calls <see cref="Thread.Yield"/> between
/// checks: low latency, and the core is handed to any other ready thread while it waits.
/// </summary>
/// <remarks>
/// Still shows as a busy core when the machine is otherwise idle (yield returns at once when
/// nothing else wants to run). Thread-safe; the producer's signal is a no-op.
/// </remarks>
internal sealed class YieldingWaitStrategy : IWaitStrategy
{
    // 100 spins as in the LMAX design: long enough to catch an event that is a few hundred
    // nanoseconds away, short enough to yield soon when the producer is idle.
    private const int SpinTries = 100;

    /// <inheritdoc/>
    public long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier)
    {
        int counter = SpinTries;
        long available;
        while ((available = cursor.Value) < sequence)
        {
            barrier.CheckAlert();
            if (counter > 0)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else
            {
                Thread.Yield();
            }
        }

        return available;
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        // Nobody blocks, so there is no one to wake.
    }
}
