using System.Threading.Channels;

namespace PriceFeed.Client;

/// <summary>A first-in, first-out queue in which the newest waiting item of a key may be replaced in place (latest wins,
/// the position in the queue is kept) until the reader takes it. The queue of <see cref="QuoteBuffer"/> and <see cref="BarBuffer"/>.</summary>
/// <remarks>Thread-safety: one writer and one reader at a time; a lock guards what they share.</remarks>
internal sealed class ReplaceableQueue<TKey, T>
    where TKey : notnull
{
    private readonly Channel<Slot> _queue = Channel.CreateUnbounded<Slot>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, Slot> _newest;
    private readonly Func<T, TKey> _keyOf;
    private int _count;

    public ReplaceableQueue(Func<T, TKey> keyOf, IEqualityComparer<TKey>? comparer = null)
    {
        _keyOf = keyOf;
        _newest = new Dictionary<TKey, Slot>(comparer);
    }

    /// <summary>Items waiting for the reader.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Replaces the newest waiting item of <paramref name="item"/>'s key when there is one and
    /// <paramref name="replaces"/> (given it and the count waiting) says so, else appends <paramref name="item"/>;
    /// true when it replaced one.</summary>
    public bool Write(T item, Func<T, int, bool> replaces)
    {
        var key = _keyOf(item);
        lock (_lock)
        {
            if (_newest.TryGetValue(key, out var waiting) && replaces(waiting.Item, _count))
            {
                waiting.Item = item;
                return true;
            }

            var slot = new Slot(item);
            _newest[key] = slot;
            _count++;
            // Unbounded: the owner bounds what it writes.
            _queue.Writer.TryWrite(slot);
            return false;
        }
    }

    /// <summary>Takes the oldest waiting item, if any.</summary>
    public bool TryRead(out T item)
    {
        if (!_queue.Reader.TryRead(out var slot))
        {
            item = default!;
            return false;
        }

        lock (_lock)
        {
            item = slot.Item;
            _count--;
            var key = _keyOf(item);
            if (_newest.TryGetValue(key, out var newest) && ReferenceEquals(newest, slot))
            {
                _newest.Remove(key);
            }
        }

        return true;
    }

    /// <summary>Waits until an item is waiting (true) or the queue is completed and empty (false, or the completion's exception).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>No more items: the reader drains what is left, then ends (with <paramref name="error"/> when not null).</summary>
    public void Complete(Exception? error) => _queue.Writer.TryComplete(error);

    /// <summary>A queued item; the writer may replace it with a newer one of the same key until the reader takes it.</summary>
    private sealed class Slot(T item)
    {
        public T Item { get; set; } = item;
    }
}
