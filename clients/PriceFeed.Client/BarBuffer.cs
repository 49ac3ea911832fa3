namespace PriceFeed.Client;

/// <summary>
/// The queue between the connection loop and the bar reader, and the guard that delivers each closed bar once.
/// </summary>
/// <remarks>
/// <para>Guard (docs/clients.md, "Bars"): per symbol and interval it remembers the start of the last closed bar
/// accepted, and ignores any bar, closed or in progress, that does not start after it (<see cref="Stale"/>). The
/// server sends one (symbol, interval)'s closed bars in start order with no gap and never repeats one on a
/// connection; after a reconnect the history asked for overlaps what was delivered, and the guard drops the overlap.
/// So the reader gets every closed bar exactly once, in start order, across reconnects.</para>
/// <para>Queue: first in, first out. A bar in progress that is still waiting is replaced in place by a newer version
/// of the same bar, in progress or closed (latest wins, <see cref="Conflated"/>), so a reader that keeps up sees every
/// version while a slow one holds at most one waiting bar in progress per symbol and interval. Closed bars are never
/// discarded: they are final, and few (one per symbol and interval per interval).</para>
/// <para>Thread-safety: one writer (the connection loop) and one reader at a time; a lock guards what they share.</para>
/// </remarks>
internal sealed class BarBuffer
{
    private readonly ReplaceableQueue<BarKey, Bar> _queue = new(bar => new BarKey(bar.Symbol, bar.IntervalSeconds));
    private readonly Lock _lock = new();
    private readonly Dictionary<BarKey, long> _lastClosedStart = [];
    private long _stale;
    private long _conflated;

    /// <summary>Bars ignored because they did not start after the last closed bar of their symbol and interval.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>Versions of a bar in progress replaced by a newer one before the reader took them.</summary>
    public long Conflated => Interlocked.Read(ref _conflated);

    /// <summary>Bars waiting for the reader.</summary>
    public int Count => _queue.Count;

    /// <summary>Queues <paramref name="bar"/> unless the guard ignores it; false when it was ignored.</summary>
    public bool TryWrite(Bar bar)
    {
        var key = new BarKey(bar.Symbol, bar.IntervalSeconds);
        lock (_lock)
        {
            if (_lastClosedStart.TryGetValue(key, out var lastClosed) && bar.StartNs <= lastClosed)
            {
                Interlocked.Increment(ref _stale);
                return false;
            }

            if (bar.Closed)
            {
                _lastClosedStart[key] = bar.StartNs;
            }

            // A newer version of the same bar replaces a waiting one in progress; closed bars are never replaced.
            if (_queue.Write(bar, (waiting, _) => !waiting.Closed && waiting.StartNs == bar.StartNs))
            {
                Interlocked.Increment(ref _conflated);
            }

            return true;
        }
    }

    /// <summary>The guard's state: the start of the last closed bar accepted, per symbol and interval.</summary>
    public Dictionary<BarKey, long> LastClosedStarts()
    {
        lock (_lock)
        {
            return new Dictionary<BarKey, long>(_lastClosedStart);
        }
    }

    /// <summary>Forgets the guard's state of the keys <paramref name="forget"/> selects: a later subscription to them
    /// starts afresh (its history is delivered again).</summary>
    public void Forget(Func<BarKey, bool> forget)
    {
        lock (_lock)
        {
            foreach (var key in _lastClosedStart.Keys.Where(forget).ToList())
            {
                _lastClosedStart.Remove(key);
            }
        }
    }

    /// <summary>Takes the oldest waiting bar, if any.</summary>
    public bool TryRead(out Bar bar) => _queue.TryRead(out bar);

    /// <summary>Waits until a bar is waiting (true) or the buffer is completed and empty (false, or the completion's exception).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.WaitToReadAsync(cancellationToken);

    /// <summary>No more bars: the reader drains what is left, then ends (with <paramref name="error"/> when not null).</summary>
    public void Complete(Exception? error) => _queue.Complete(error);
}

/// <summary>A bar series: one symbol at one interval.</summary>
internal readonly record struct BarKey(string Symbol, int IntervalSeconds);
