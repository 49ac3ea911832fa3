using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// A pre-allocated ring of <typeparamref name="T"/> slots that one producer fills in place
/// and consumers read in place: no allocation and no copy per event.
/// </summary>
/// <typeparam name="T">The slot type, a struct so that the slots are one contiguous array.</typeparam>
/// <remarks>
/// <para>Single producer: only the producer's thread calls <see cref="Next()"/>,
/// <see cref="Next(int)"/>, <see cref="TryNext(out long)"/> and <see cref="Publish(long)"/>,
/// and it writes a slot only between claiming and publishing its sequence. A consumer reads a
/// slot only after its barrier says the sequence is published and before its own sequence
/// passes it. Gating sequences are added before the producer starts.</para>
/// <para>The usual producer loop: <c>long s = ring.Next(); ref var e = ref ring[s]; fill e;
/// ring.Publish(s);</c></para>
/// </remarks>
internal sealed class RingBuffer<T>
    where T : struct
{
    // Unused slots before the first and after the last, 128 bytes' worth each side, so that
    // the slots the producer and consumers touch share no cache line (nor the adjacent line
    // the hardware prefetches) with the array's header or with whatever the heap puts next.
    private static readonly int s_bufferPad = (128 + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    private readonly T[] _entries;
    private readonly long _indexMask;
    private readonly SingleProducerSequencer _sequencer;

    /// <summary>Creates a ring of <paramref name="bufferSize"/> default slots.</summary>
    /// <param name="bufferSize">A power of two, greater than zero: a slot is found with a mask.</param>
    /// <param name="waitStrategy">How consumers wait for the producer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is not a
    /// power of two greater than zero.</exception>
    public RingBuffer(int bufferSize, IWaitStrategy waitStrategy)
    {
        // The sequencer validates the size before anything is allocated.
        _sequencer = new SingleProducerSequencer(bufferSize, waitStrategy);
        _indexMask = bufferSize - 1;
        _entries = new T[bufferSize + (2 * s_bufferPad)];
    }

    /// <summary>The number of slots.</summary>
    public int BufferSize => _sequencer.BufferSize;

    /// <summary>The highest published sequence, <see cref="Sequence.InitialValue"/> before the first.</summary>
    public long Cursor => _sequencer.Cursor;

    /// <summary>The slot of <paramref name="sequence"/>, by reference: the producer fills it
    /// between claim and publish, a consumer reads it once published.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // The mask keeps the index inside the array, so the bounds check can go.
            nint index = s_bufferPad + (nint)(sequence & _indexMask);
            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), index);
        }
    }

    /// <inheritdoc cref="SingleProducerSequencer.Next()"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => _sequencer.Next(1);

    /// <inheritdoc cref="SingleProducerSequencer.Next(int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int n) => _sequencer.Next(n);

    /// <inheritdoc cref="SingleProducerSequencer.TryNext(out long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(out long sequence) => _sequencer.TryNext(1, out sequence);

    /// <inheritdoc cref="SingleProducerSequencer.TryNext(int, out long)"/>
    public bool TryNext(int n, out long sequence) => _sequencer.TryNext(n, out sequence);

    /// <inheritdoc cref="SingleProducerSequencer.Publish(long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence) => _sequencer.Publish(sequence);

    /// <inheritdoc cref="SingleProducerSequencer.Publish(long, long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long lo, long hi) => _sequencer.Publish(lo, hi);

    /// <summary>Publishes one event per item of <paramref name="items"/>, each slot filled in place by
    /// <paramref name="translator"/>: claims as many slots as fit at once (the ring may be smaller than the batch),
    /// fills them, publishes them together, and goes on with the rest.</summary>
    /// <remarks>Producer thread only. The translator is a struct, so the call is direct and the loop costs what a
    /// hand-written one does: nothing is allocated.</remarks>
    public void PublishEvents<TItem, TTranslator>(ReadOnlySpan<TItem> items, TTranslator translator)
        where TTranslator : struct, IEventTranslator<T, TItem>
    {
        while (!items.IsEmpty)
        {
            var n = Math.Min(items.Length, BufferSize);
            var hi = _sequencer.Next(n);
            var lo = hi - n + 1;
            for (var i = 0; i < n; i++)
            {
                translator.TranslateTo(ref this[lo + i], in items[i]);
            }

            _sequencer.Publish(lo, hi);
            items = items[n..];
        }
    }

    /// <inheritdoc cref="SingleProducerSequencer.GetRemainingCapacity"/>
    public long GetRemainingCapacity() => _sequencer.GetRemainingCapacity();

    /// <inheritdoc cref="SingleProducerSequencer.AddGatingSequences"/>
    public void AddGatingSequences(params Sequence[] gatingSequences) => _sequencer.AddGatingSequences(gatingSequences);

    /// <inheritdoc cref="SingleProducerSequencer.RemoveGatingSequence"/>
    public bool RemoveGatingSequence(Sequence sequence) => _sequencer.RemoveGatingSequence(sequence);

    /// <inheritdoc cref="SingleProducerSequencer.NewBarrier"/>
    public SequenceBarrier NewBarrier() => _sequencer.NewBarrier();
}
