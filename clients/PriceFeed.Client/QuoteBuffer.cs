namespace PriceFeed.Client;

/// <summary>
/// The bounded buffer between the connection loop and the reader: first in, first out while the reader
/// keeps up, conflating by symbol once it falls <c>capacity</c> quotes behind. Also the seq guard.
/// </summary>
/// <remarks>
/// <para>Policy: below capacity every quote is kept. At capacity, a quote for a symbol that already has
/// a quote waiting replaces that quote in place (latest wins, the position in the queue is kept) and
/// <see cref="Conflated"/> counts the one replaced; a quote for a symbol with nothing waiting is still
/// queued, so the bound is capacity plus at most one quote per symbol.</para>
/// <para>Why conflate rather than drop the oldest: a quant script wants the current price of every
/// symbol. Dropping the oldest can lose the last update of a quiet symbol for good; conflating never
/// does, so once the source goes quiet the reader holds every symbol's newest quote (the server's
/// convergence guarantee, kept through this buffer). The price is that a slow reader sees seq jumps,
/// which the client reports as gaps.</para>
/// <para>Seq guard: a quote whose seq is not above the last one accepted for its symbol is ignored
/// (<see cref="Stale"/>): the snapshot after a reconnect repeats what was already delivered. With FIFO
/// order and in-place replacement by newer quotes, the reader sees each symbol's seq strictly increase.</para>
/// <para>Thread-safety: one writer (the connection loop) and one reader at a time; a lock guards the
/// per-symbol state they share.</para>
/// </remarks>
internal sealed class QuoteBuffer
{
    private readonly ReplaceableQueue<string, Quote> _queue = new(quote => quote.Symbol, StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ulong> _lastAcceptedSeq = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private long _conflated;
    private long _stale;

    public QuoteBuffer(int capacity) => _capacity = capacity;

    /// <summary>Quotes replaced by a newer quote of the same symbol before the reader took them.</summary>
    public long Conflated => Interlocked.Read(ref _conflated);

    /// <summary>Quotes ignored because their seq was not newer than one already accepted for the symbol.</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>Quotes waiting for the reader.</summary>
    public int Count => _queue.Count;

    /// <summary>Queues <paramref name="quote"/> unless it is stale; false when it was ignored.</summary>
    public bool TryWrite(Quote quote)
    {
        lock (_lock)
        {
            if (_lastAcceptedSeq.TryGetValue(quote.Symbol, out var last) && quote.Seq <= last)
            {
                Interlocked.Increment(ref _stale);
                return false;
            }

            _lastAcceptedSeq[quote.Symbol] = quote.Seq;
            // Past capacity, a quote of a symbol with one waiting replaces it in place.
            if (_queue.Write(quote, (_, waiting) => waiting >= _capacity))
            {
                Interlocked.Increment(ref _conflated);
            }

            return true;
        }
    }

    /// <summary>The seq guard's state: the last seq accepted per symbol, for a resume request.</summary>
    public Dictionary<string, ulong> LastAcceptedSeqs()
    {
        lock (_lock)
        {
            return new Dictionary<string, ulong>(_lastAcceptedSeq, StringComparer.Ordinal);
        }
    }

    /// <summary>Starts the seq guard again: the source's epoch changed and its seqs start again from 1.</summary>
    /// <remarks>Quotes already waiting stay queued; a newer-epoch quote may still replace one of them in place (latest wins).</remarks>
    public void ForgetSeqs()
    {
        lock (_lock)
        {
            _lastAcceptedSeq.Clear();
        }
    }

    /// <summary>Takes the oldest waiting quote, if any.</summary>
    public bool TryRead(out Quote quote) => _queue.TryRead(out quote);

    /// <summary>Waits until a quote is waiting (true) or the buffer is completed and empty (false, or the completion's exception).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.WaitToReadAsync(cancellationToken);

    /// <summary>No more quotes: the reader drains what is left, then ends (with <paramref name="error"/> when not null).</summary>
    public void Complete(Exception? error) => _queue.Complete(error);
}
