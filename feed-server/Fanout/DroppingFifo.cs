namespace PriceFeed.Server.Fanout;

/// <summary>
/// The <c>drop</c> policy's queue of one client: a bounded FIFO of (ring sequence, subscription)
/// that overwrites its oldest entry when full, so the producer never waits for the client.
/// </summary>
/// <remarks>
/// Producer: the fan-out thread only (<see cref="Offer"/>). Consumer: the session's event loop only
/// (<see cref="TryTake"/>). The producer does not look at the consumer's position: when it laps
/// it, the consumer notices from the distance between the two, skips what was overwritten and
/// counts it as dropped. Memory: capacity x 16 bytes, allocated once.
/// </remarks>
internal sealed class DroppingFifo
{
    private readonly long[] _sequences;
    private readonly SymbolSubscription?[] _subscriptions;
    private readonly long _mask;
    private long _tail; // written by the producer only
    private long _head; // the consumer's position, its own

    /// <param name="capacity">The bound on pending updates (<c>--queue-capacity</c>), rounded up to a power of two.</param>
    public DroppingFifo(int capacity)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 1));
        Capacity = capacity;
        _sequences = new long[size];
        _subscriptions = new SymbolSubscription?[size];
        _mask = size - 1;
    }

    /// <summary>The bound: entries beyond it push out the oldest.</summary>
    public int Capacity { get; }

    /// <summary>Entries waiting, as the consumer sees them (may exceed <see cref="Capacity"/> until it next takes).</summary>
    public long Count => Volatile.Read(ref _tail) - _head;

    /// <summary>Appends the quote at ring sequence <paramref name="sequence"/> for <paramref name="subscription"/>. Fan-out thread only.</summary>
    public void Offer(long sequence, SymbolSubscription subscription)
    {
        var tail = _tail;
        var index = tail & _mask;
        _sequences[index] = sequence;
        _subscriptions[index] = subscription;
        Volatile.Write(ref _tail, tail + 1);
    }

    /// <summary>Takes the oldest entry still in the FIFO; <paramref name="dropped"/> counts entries skipped because they were overwritten.</summary>
    public bool TryTake(out long sequence, out SymbolSubscription subscription, out long dropped)
    {
        dropped = 0;
        while (true)
        {
            var tail = Volatile.Read(ref _tail);
            if (_head == tail)
            {
                sequence = 0;
                subscription = null!;
                return false;
            }

            // Keep at most Capacity entries: older ones count as dropped (CONTRACT.md: drop keeps a bounded FIFO, oldest out).
            if (tail - _head > Capacity)
            {
                dropped += tail - Capacity - _head;
                _head = tail - Capacity;
            }

            var index = _head & _mask;
            sequence = _sequences[index];
            subscription = _subscriptions[index]!;
            Interlocked.MemoryBarrier();
            // The producer may have lapped this slot while we read it: then what we read is not this position's.
            if (Volatile.Read(ref _tail) - _head > _sequences.Length)
            {
                continue;
            }

            _head++;
            return true;
        }
    }
}
