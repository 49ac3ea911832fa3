using System.Diagnostics;

namespace PriceFeed.Server.Fanout;

// Throttled subscriptions: a pending one not yet due waits in the deferred list, and one timer per
// session (not per symbol) drains again when the earliest is due.
internal sealed partial class ClientSession
{
    private bool DrainDeferred(ref FrameWriter writer, long now)
    {
        if (_deferred.Count == 0)
        {
            return true;
        }

        var nextDue = long.MaxValue;
        for (var i = 0; i < _deferred.Count;)
        {
            var subscription = _deferred[i];
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

            _deferred[i] = _deferred[^1];
            _deferred.RemoveAt(_deferred.Count - 1);
            subscription.Deferred = false;
            SendLatest(ref writer, subscription, now);
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
