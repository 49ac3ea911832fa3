namespace PriceFeed.Server.Ring;

/// <summary>
/// Spins on the cursor without ever giving up the core: the lowest latency, and a core
/// burnt at 100% for as long as the consumer runs.
/// </summary>
/// <remarks>
/// Only for a consumer pinned to a core of its own, with more cores than busy threads: on a
/// crowded machine a spinning consumer can delay the very producer it waits for. Thread-safe;
/// the producer's signal is a no-op.
/// </remarks>
internal sealed class BusySpinWaitStrategy : IWaitStrategy
{
    /// <inheritdoc/>
    public long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier)
    {
        long available;
        while ((available = cursor.Value) < sequence)
        {
            barrier.CheckAlert();

            // One PAUSE-style hint: lets a sibling hyper-thread run and saves power, not the core.
            Thread.SpinWait(1);
        }

        return available;
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking()
    {
        // Nobody blocks, so there is no one to wake.
    }
}
