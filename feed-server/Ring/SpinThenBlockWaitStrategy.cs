namespace PriceFeed.Server.Ring;

/// <summary>
/// Spins briefly, then yields for a while, then blocks: close to
/// <see cref="YieldingWaitStrategy"/> while quotes flow, and no CPU when the feed is quiet.
/// The default (see Ring/README.md for the figures behind the choice).
/// </summary>
/// <remarks>
/// Thread-safe. The producer's signal costs what <see cref="BlockingWaitStrategy"/>'s does:
/// one volatile read while no consumer is blocked.
/// </remarks>
internal sealed class SpinThenBlockWaitStrategy : IWaitStrategy
{
    // A few microseconds of spinning (Thread.SpinWait(1) is normalised to a few tens of
    // nanoseconds): an event that is about to arrive is caught without a context switch.
    private const int SpinTries = 100;

    // Then about a hundred yields (from a few hundred nanoseconds each on an idle core to a
    // time slice each on a busy one), so a feed that pauses for tens of microseconds costs
    // no wake-up; a longer pause blocks and frees the core.
    private const int YieldTries = 100;

    private readonly BlockingWaitStrategy _blocking = new();

    /// <inheritdoc/>
    public long WaitFor(long sequence, Sequence cursor, ISequenceBarrier barrier)
    {
        int counter = SpinTries + YieldTries;
        long available;
        while ((available = cursor.Value) < sequence)
        {
            barrier.CheckAlert();
            if (counter > YieldTries)
            {
                Thread.SpinWait(1);
            }
            else if (counter > 0)
            {
                Thread.Yield();
            }
            else
            {
                return _blocking.Block(sequence, cursor, barrier);
            }

            counter--;
        }

        return available;
    }

    /// <inheritdoc/>
    public void SignalAllWhenBlocking() => _blocking.SignalAllWhenBlocking();
}
