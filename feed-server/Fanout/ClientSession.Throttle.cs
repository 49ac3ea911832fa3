using System.Diagnostics;

namespace PriceFeed.Server.Fanout;

// Throttled subscriptions: a pending one not yet due waits in the deferred list, and one timer per
// session (not per symbol) drains again when the earliest is due.
internal sealed partial class ClientSession
{
    /// <summary>Sends one due subscription of a throttle list.</summary>
    private delegate void SendDue<T>(ClientSession session, ref FrameWriter writer, T subscription, long now);

    private bool DrainDeferred(ref FrameWriter writer, long now) =>
        DrainDue(_deferred, ref writer, now, static (session, ref writer, subscription, now) => session.SendLatest(ref writer, subscription, now));

    /// <summary>
    /// Sends the subscriptions of <paramref name="deferred"/> that are due (or unsubscribed, to let them go) and arms the
    /// timer for the earliest of the rest; false when the channel stopped taking writes first.
    /// </summary>
    private bool DrainDue<T>(List<T> deferred, ref FrameWriter writer, long now, SendDue<T> send)
        where T : Subscription<T>
    {
        var nextDue = long.MaxValue;
        for (var i = 0; i < deferred.Count;)
        {
            var subscription = deferred[i];
            if (subscription.NextDueTicks > now && subscription.Active)
            {
                nextDue = Math.Min(nextDue, subscription.NextDueTicks);
                i++;
                continue;
            }

            if (!writer.CanWrite)
            {
                return false;
            }

            deferred[i] = deferred[^1];
            deferred.RemoveAt(deferred.Count - 1);
            subscription.Deferred = false;
            send(this, ref writer, subscription, now);
        }

        if (nextDue != long.MaxValue)
        {
            ArmThrottleTimer(nextDue, now);
        }

        return true;
    }

    private void ArmThrottleTimer(long dueTicks, long now)
    {
        if (_throttleTimer is not null && _throttleTimerDue <= dueTicks)
        {
            return;
        }

        _throttleTimer?.Cancel();
        _throttleTimerDue = dueTicks;
        var delay = Stopwatch.GetElapsedTime(now, dueTicks);
        _throttleTimer = _context.Executor.Schedule(static s => ((ClientSession)s).OnThrottleTimer(), this, delay);
    }

    private void OnThrottleTimer()
    {
        _throttleTimer = null;
        Drain();
    }
}
