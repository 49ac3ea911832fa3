namespace PriceFeed.Server.Fanout;

/// <summary>
/// One client's bounded FIFO of updates, each a (ring sequence, subscription) pointing into the
/// <see cref="QuoteLog"/>, so an update costs 16 bytes and no copy.
/// </summary>
/// <remarks>
/// <para>Producer: the fan-out thread only (<see cref="TryOffer"/>). Consumer: the session's event
/// loop only (<see cref="TryTake"/>). Two ways to be full, chosen by the policy:</para>
/// <para><b>Refusing</b> (<c>conflate</c>): a full FIFO refuses the update and the caller conflates
/// it instead. The producer reads the consumer's position once per offer to know.</para>
/// <para><b>Overwriting</b> (<c>drop</c>): the producer never looks at the consumer; when it laps
/// it, the consumer notices from the distance between the two, skips what was overwritten and
/// counts it as dropped (CONTRACT.md: drop keeps a bounded FIFO, oldest out).</para>
/// </remarks>
internal sealed class UpdateFifo
{
    private readonly long[] _sequences;
    private readonly SymbolSubscription?[] _subscriptions;
    private readonly long _mask;
    private readonly bool _overwrite;
    private long _tail; // written by the producer only
    private long _head; // written by the consumer only

    /// <param name="capacity">The bound on waiting updates.</param>
    /// <param name="overwriteOldest">True: a full FIFO overwrites its oldest entry; false: it refuses new ones.</param>
    public UpdateFifo(int capacity, bool overwriteOldest)
    {
        Capacity = Math.Max(capacity, 1);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Capacity);
        _sequences = new long[size];
        _subscriptions = new SymbolSubscription?[size];
        _mask = size - 1;
        _overwrite = overwriteOldest;
    }

    /// <summary>The bound: when overwriting, entries beyond it push out the oldest; when refusing, no more fit.</summary>
    public int Capacity { get; }

    /// <summary>Entries waiting, as the consumer sees them (when overwriting, may exceed <see cref="Capacity"/> until it next takes).</summary>
    public long Count => Volatile.Read(ref _tail) - Volatile.Read(ref _head);

    /// <summary>Appends the quote at ring <paramref name="sequence"/> for <paramref name="subscription"/>. Fan-out thread only.</summary>
    /// <returns>False only when refusing and full.</returns>
    public bool TryOffer(long sequence, SymbolSubscription subscription)
    {
        var tail = _tail;
        if (!_overwrite && tail - Volatile.Read(ref _head) >= Capacity)
        {
            return false;
        }

        var index = tail & _mask;
        _sequences[index] = sequence;
        _subscriptions[index] = subscription;
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }

    /// <summary>Takes the oldest entry still in the FIFO; <paramref name="dropped"/> counts entries skipped because they were overwritten.</summary>
    public bool TryTake(out long sequence, out SymbolSubscription subscription, out long dropped)
    {
        dropped = 0;
        while (true)
        {
            var head = _head;
            var tail = Volatile.Read(ref _tail);
            if (head == tail)
            {
                sequence = 0;
                subscription = null!;
                return false;
            }

            if (tail - head > Capacity)
            {
                // Only when overwriting: the producer lapped us; the oldest are gone.
                dropped += tail - Capacity - head;
                head = tail - Capacity;
            }

            var index = head & _mask;
            sequence = _sequences[index];
            subscription = _subscriptions[index]!;
            Interlocked.MemoryBarrier();
            // When overwriting, the producer may have lapped this slot while we read it: then what we read is not this position's.
            if (_overwrite && Volatile.Read(ref _tail) - head > _sequences.Length)
            {
                Volatile.Write(ref _head, head);
                continue;
            }

            // Publishes the free slot to a refusing producer.
            Volatile.Write(ref _head, head + 1);
            return true;
        }
    }
}
