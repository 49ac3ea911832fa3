using System.Runtime.CompilerServices;
using DotNetty.Common.Concurrency;

namespace PriceFeed.Server.Fanout;

// The fan-out thread's side: offers into the FIFO or the conflation queue, and one drain request per batch.
// No lock and no allocation per quote; the fences are explained beside each one and in Fanout/README.md.
internal sealed partial class ClientSession
{
    /// <summary>The fan-out's batch in which this session was last noted for a wake-up. Fan-out thread only.</summary>
    internal long WakeBatch;

    /// <summary>
    /// Offers the quote at ring <paramref name="sequence"/> to <paramref name="subscription"/>.
    /// Fan-out thread only. Returns true when the offer queued something, so the session must be asked
    /// to drain at the end of the batch (<see cref="RequestDrain"/>); false when it only conflated into
    /// an update already pending.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Offer(SymbolSubscription subscription, long sequence)
    {
        if (subscription.ThrottleTicks == 0
            && (_fanout.DropOldest || Volatile.Read(ref subscription.Pending) == 0)
            && _fifo.TryOffer(sequence, subscription))
        {
            // In order, every update. (A pending subscription keeps conflating until drained, so its
            // newest update is never overtaken by an older one in the FIFO.)
        }
        else if (Interlocked.Exchange(ref subscription.Pending, 1) == 0)
        {
            // A full fence on both sides (here and in the drain) makes the last-value cache write
            // before it visible to a drain that clears Pending: no update is ever left behind.
            _pending.Enqueue(subscription);
        }
        else
        {
            Volatile.Write(ref _conflated, _conflated + 1);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Asks the event loop to drain unless a drain is already requested and has not started yet.
    /// Fan-out thread, at the end of a batch, after a full fence that follows its offers.
    /// </summary>
    /// <remarks>
    /// The handshake is a store then a load on each side: the fan-out stores updates then loads
    /// <c>_drainRequested</c>; <see cref="Drain"/> stores 0 there then loads the queues. Only a full
    /// fence between the two on both sides (the caller's before this, the exchange in <see cref="Drain"/>)
    /// rules out both loads seeing the old value, which would leave an update with no drain to send it.
    /// </remarks>
    public void RequestDrain()
    {
        if (Volatile.Read(ref _drainRequested) == 0 && Interlocked.CompareExchange(ref _drainRequested, 1, 0) == 0)
        {
            ScheduleDrain();
        }
    }

    /// <summary>Asks the event loop to drain (see <see cref="RequestDrain"/>).</summary>
    private void ScheduleDrain()
    {
        if (_closed)
        {
            return;
        }

        Volatile.Write(ref _drainsScheduled, _drainsScheduled + 1);
        try
        {
            _context.Executor.Execute(this);
        }
        catch (RejectedExecutionException)
        {
            // The event loop is shutting down with the server: nothing left to send to.
        }
    }
}
