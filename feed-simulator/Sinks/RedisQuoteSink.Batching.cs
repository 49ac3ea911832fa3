using System.Diagnostics;
using PriceFeed.Simulation;

namespace PriceFeed.Simulator.Sinks;

// The simulator thread's side: quotes go into the open batch and the latest-per-symbol table under the lock;
// a sealed batch goes into the bounded queue with TryAdd, so this thread never waits for the network.
internal sealed partial class RedisQuoteSink
{
    /// <inheritdoc />
    /// <remarks>Simulator thread. Takes the lock the writer takes once a flush interval; never waits for the network.</remarks>
    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        lock (_lock)
        {
            foreach (ref readonly var quote in batch)
            {
                _latest[quote.Instrument] = quote;
                if (_open.Count == 0)
                {
                    _open.OpenedAt = Stopwatch.GetTimestamp();
                }

                _open.Quotes[_open.Count++] = quote;
                if (_open.Count == MaxQuotesPerMessage)
                {
                    SealLocked();
                }
            }

            if (_open.Count > 0 && Stopwatch.GetTimestamp() - _open.OpenedAt >= s_flushIntervalTicks)
            {
                SealLocked();
            }
        }
    }

    /// <summary>After the last <see cref="Publish"/>: sends what is left, resyncs the hash if anything was dropped,
    /// and waits (at most <paramref name="timeout"/>) for Redis to answer everything.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_open.Count > 0)
            {
                SealLocked();
            }

            _closed = true;
            _queue.CompleteAdding();
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (_writer.IsAlive || Volatile.Read(ref _inFlight) > 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                _log.WriteLine($"redis: {Volatile.Read(ref _inFlight)} messages still unanswered after {timeout.TotalSeconds:0} s; giving up on them");
                return;
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private void SealLocked()
    {
        var sealedBatch = _open;
        sealedBatch.Number = ++_sealedBatches;
        if (_closed || !_queue.TryAdd(sealedBatch))
        {
            // The writer is behind: this batch's message goes, its quotes stay in _latest for the next resync.
            CountDropped(sealedBatch.Count);
            sealedBatch.Count = 0;
            return;
        }

        _open = _free.TryDequeue(out var recycled) ? recycled : new Batch();
    }

    private void SealIfDue()
    {
        lock (_lock)
        {
            if (!_closed && _open.Count > 0 && Stopwatch.GetTimestamp() - _open.OpenedAt >= s_flushIntervalTicks)
            {
                SealLocked();
            }
        }
    }

    private void Recycle(Batch batch)
    {
        batch.Count = 0;
        _free.Enqueue(batch);
    }

    /// <summary>Quotes sealed together into one message; recycled once encoded.</summary>
    private sealed class Batch
    {
        public readonly SimulatedQuote[] Quotes = new SimulatedQuote[MaxQuotesPerMessage];
        public int Count;
        public long OpenedAt;
        public long Number;
    }
}
