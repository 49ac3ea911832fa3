namespace PriceFeed.Server.Fanout;

/// <summary>
/// One client's bounded FIFO of updates, each a (ring sequence, subscription) pointing into the
/// <see cref="QuoteLog"/>, so an update costs one small slot and no copy.
/// </summary>
/// <remarks>
/// <para>Producer: the fan-out thread only (<see cref="TryOffer"/>). Consumer: the session's event
/// loop only (<see cref="TryTake"/>). Two ways to be full, chosen by the policy:</para>
/// <para><b>Refusing</b> (<c>conflate</c>): a full FIFO refuses the update and the caller conflates
/// it instead. The producer reads the consumer's position once per offer to know.</para>
/// <para><b>Overwriting</b> (<c>drop</c>): the producer never looks at the consumer; when it laps
/// it, the consumer skips what was overwritten and counts it as dropped (the contract: drop keeps
/// a bounded FIFO, oldest out; docs in the README's protocol section).</para>
/// <para><b>Why each slot carries its position.</b> An overwriting producer rewrites the slot of
/// position <c>p</c> while the consumer may be reading the entry of <c>p - size</c> in that slot,
/// and it publishes <c>p + 1</c> only afterwards: the published tail cannot tell the consumer
/// whether what it read is one entry or half of two. So every slot is written like a sequence lock:
/// its position is invalidated, the entry written, then the position stored; the consumer reads
/// the position, the entry, the position again, and takes the entry only if both name the position
/// it wants. Anything else means that entry was (or is being) overwritten: it is gone, as
/// <c>drop</c> allows. On x64 the fences this needs are plain stores and loads.</para>
/// </remarks>
internal sealed class UpdateFifo
{
    private const long Invalid = -1;

    private readonly Slot[] _slots;
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
        _slots = new Slot[size];
        for (var i = 0; i < size; i++)
        {
            _slots[i].Position = Invalid;
        }

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
        if (!_overwrite && _tail - Volatile.Read(ref _head) >= Capacity)
        {
            return false;
        }

        WriteSlot(sequence, subscription);
        PublishSlot();
        return true;
    }

    /// <summary>The first half of an offer: fills the slot of the next position without publishing it.</summary>
    /// <remarks>Apart from <see cref="PublishSlot"/> so that a test can put a take between the two halves.</remarks>
    internal void WriteSlot(long sequence, SymbolSubscription subscription)
    {
        var position = _tail;
        ref var slot = ref _slots[position & _mask];
        slot.Position = Invalid;
        // Release writes: the invalidation above is visible before any part of the new entry.
        Volatile.Write(ref slot.Sequence, sequence);
        Volatile.Write(ref slot.Subscription, subscription);
        Volatile.Write(ref slot.Position, position);
    }

    /// <summary>The second half of an offer: publishes the slot <see cref="WriteSlot"/> filled.</summary>
    internal void PublishSlot() => Volatile.Write(ref _tail, _tail + 1);

    /// <summary>Takes the oldest entry still in the FIFO; <paramref name="dropped"/> counts entries skipped because they were overwritten.</summary>
    public bool TryTake(out long sequence, out SymbolSubscription subscription, out long dropped)
    {
        dropped = 0;
        var head = _head;
        while (true)
        {
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

            ref var slot = ref _slots[head & _mask];
            // Acquire reads in this order: position, entry, position (see the remarks).
            var before = Volatile.Read(ref slot.Position);
            sequence = Volatile.Read(ref slot.Sequence);
            subscription = Volatile.Read(ref slot.Subscription)!;
            var after = Volatile.Read(ref slot.Position);

            // Publishes the free slot to a refusing producer, which never rewrites a slot before this.
            Volatile.Write(ref _head, head + 1);
            if (before == head && after == head)
            {
                return true;
            }

            // Only when overwriting: this position's entry was overwritten while we read it.
            dropped++;
            head++;
        }
    }

    /// <summary>One entry and the FIFO position it belongs to (<see cref="Invalid"/> while being rewritten).</summary>
    private struct Slot
    {
        public long Position;
        public long Sequence;
        public SymbolSubscription? Subscription;
    }
}
