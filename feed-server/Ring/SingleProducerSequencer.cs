using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Ring;

/// <summary>
/// Hands out sequences to one producer and publishes them, never letting the producer wrap
/// onto a slot that a consumer has not finished with.
/// </summary>
/// <remarks>
/// <para>Single producer: only the producer's thread calls <see cref="Next()"/>,
/// <see cref="Next(int)"/>, <see cref="TryNext(int, out long)"/> and <see cref="Publish(long)"/>.
/// That is what makes a claim a plain field increment rather than a compare-and-swap on
/// shared memory. Any thread may read <see cref="Cursor"/> and
/// <see cref="GetRemainingCapacity"/>; gating sequences are added before consumers start.</para>
/// <para>Gating: a claim of sequence <c>s</c> reuses the slot of <c>s - bufferSize</c>, so
/// it must wait until every gating sequence (each consumer's progress) has reached that
/// <c>wrapPoint</c>. The smallest gating sequence seen last time is cached in
/// <c>_cachedGatingSequence</c>: the consumers' cache lines are only read when a claim
/// passes it, about once a ring's worth of events when the consumer keeps up.</para>
/// </remarks>
internal sealed class SingleProducerSequencer
{
    private readonly int _bufferSize;
    private readonly IWaitStrategy _waitStrategy;
    private readonly Sequence _cursor = new();

    // Copy-on-write, so that the producer reads it without a lock.
    private Sequence[] _gatingSequences = [];

    // Written by the producer only: the last sequence claimed, and the smallest gating
    // sequence seen at the last check. Consumers never touch them (they read the cursor), so
    // they need no padding and no fences; GetRemainingCapacity reads _nextValue from other
    // threads, an atomic 64-bit read that is as fresh as it can be.
    private long _nextValue = Sequence.InitialValue;
    private long _cachedGatingSequence = Sequence.InitialValue;

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    /// <param name="bufferSize">A power of two, greater than zero.</param>
    /// <param name="waitStrategy">How the ring's consumers wait; signalled after each publish.</param>
    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        ArgumentNullException.ThrowIfNull(waitStrategy);
        if (bufferSize <= 0 || !int.IsPow2(bufferSize))
        {
            ThrowHelper.ThrowBufferSizeNotPowerOfTwo(bufferSize, nameof(bufferSize));
        }

        _bufferSize = bufferSize;
        _waitStrategy = waitStrategy;
    }

    /// <summary>The number of slots.</summary>
    public int BufferSize => _bufferSize;

    /// <summary>The highest published sequence, <see cref="Sequence.InitialValue"/> before the first.</summary>
    public long Cursor => _cursor.Value;

    /// <summary>The cursor itself, for the barriers that consumers wait on.</summary>
    internal Sequence CursorSequence => _cursor;

    /// <summary>The strategy consumers wait with.</summary>
    internal IWaitStrategy WaitStrategy => _waitStrategy;

    /// <summary>Claims the next sequence, waiting while the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => Next(1);

    /// <summary>Claims the next <paramref name="n"/> sequences, waiting while the ring lacks
    /// room for them.</summary>
    /// <param name="n">1 to <see cref="BufferSize"/>.</param>
    /// <returns>The highest sequence claimed; the claim is
    /// <c>[returned - n + 1, returned]</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)_bufferSize)
        {
            ThrowHelper.ThrowClaimSizeOutOfRange(n, _bufferSize);
        }

        long nextValue = _nextValue;
        long nextSequence = nextValue + n;
        long wrapPoint = nextSequence - _bufferSize;
        long cachedGatingSequence = _cachedGatingSequence;

        // The second test catches a cache that is ahead of the claims: gating sequences added
        // (or reset) after the producer started.
        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > nextValue)
        {
            WaitForCapacity(wrapPoint, nextValue);
        }

        _nextValue = nextSequence;
        return nextSequence;
    }

    /// <summary>Claims the next sequence if the ring has room now.</summary>
    /// <returns><see langword="false"/> if the ring is full.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(out long sequence) => TryNext(1, out sequence);

    /// <summary>Claims the next <paramref name="n"/> sequences if the ring has room for them now.</summary>
    /// <param name="n">1 to <see cref="BufferSize"/>.</param>
    /// <param name="sequence">The highest sequence claimed.</param>
    /// <returns><see langword="false"/> if the ring lacks room.</returns>
    public bool TryNext(int n, out long sequence)
    {
        if ((uint)(n - 1) >= (uint)_bufferSize)
        {
            ThrowHelper.ThrowClaimSizeOutOfRange(n, _bufferSize);
        }

        long nextValue = _nextValue;
        long nextSequence = nextValue + n;
        long wrapPoint = nextSequence - _bufferSize;
        long cachedGatingSequence = _cachedGatingSequence;
        if (wrapPoint > cachedGatingSequence || cachedGatingSequence > nextValue)
        {
            long minSequence = GetMinimumGatingSequence(nextValue);
            _cachedGatingSequence = minSequence;
            if (wrapPoint > minSequence)
            {
                sequence = default;
                return false;
            }
        }

        _nextValue = nextSequence;
        sequence = nextSequence;
        return true;
    }

    /// <summary>Publishes <paramref name="sequence"/> (and, with one producer, everything
    /// claimed before it) and wakes blocked consumers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence)
    {
        // Release store: the slot's contents, written before, are visible to whoever reads
        // the new cursor.
        _cursor.SetValue(sequence);
        _waitStrategy.SignalAllWhenBlocking();
    }

    /// <summary>Publishes a batch claimed with <see cref="Next(int)"/>.</summary>
    /// <remarks>With one producer publishing the highest sequence publishes them all.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long lo, long hi) => Publish(hi);

    /// <summary>The number of slots the producer could claim now without waiting.</summary>
    public long GetRemainingCapacity()
    {
        long produced = Volatile.Read(ref _nextValue);
        long consumed = GetMinimumGatingSequence(produced);
        return _bufferSize - (produced - consumed);
    }

    /// <summary>Adds sequences the producer must not overtake by more than the buffer size
    /// (each consumer's progress). Each starts at the current cursor: a consumer added late
    /// sees only what is published after it joins.</summary>
    public void AddGatingSequences(params Sequence[] gatingSequences)
    {
        ArgumentNullException.ThrowIfNull(gatingSequences);
        long cursor = _cursor.Value;
        foreach (var sequence in gatingSequences)
        {
            ArgumentNullException.ThrowIfNull(sequence, nameof(gatingSequences));
            sequence.SetValue(cursor);
        }

        Sequence[] current, updated;
        do
        {
            current = Volatile.Read(ref _gatingSequences);
            updated = [.. current, .. gatingSequences];
        }
        while (Interlocked.CompareExchange(ref _gatingSequences, updated, current) != current);
    }

    /// <summary>Removes a gating sequence, e.g. of a consumer that is gone for good.</summary>
    /// <returns><see langword="true"/> if it was there.</returns>
    public bool RemoveGatingSequence(Sequence sequence)
    {
        Sequence[] current, updated;
        do
        {
            current = Volatile.Read(ref _gatingSequences);
            int index = Array.IndexOf(current, sequence);
            if (index < 0)
            {
                return false;
            }

            updated = [.. current.AsSpan(0, index), .. current.AsSpan(index + 1)];
        }
        while (Interlocked.CompareExchange(ref _gatingSequences, updated, current) != current);
        return true;
    }

    /// <summary>Creates a barrier for a consumer that processes what this producer publishes.</summary>
    public SequenceBarrier NewBarrier() => new(_cursor, _waitStrategy);

    /// <summary>The slow path of a claim: waits until every consumer has passed
    /// <paramref name="wrapPoint"/>, and refreshes the cache.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long wrapPoint, long nextValue)
    {
        // The ring is full or the cache is stale. A full ring means the consumer is behind, so
        // it needs the cores more than the producer does: spin briefly, then yield, never sleep
        // for a whole millisecond (SpinWait's Sleep(1) is turned off with -1).
        var spinner = default(SpinWait);
        long minSequence;
        while (wrapPoint > (minSequence = GetMinimumGatingSequence(nextValue)))
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        _cachedGatingSequence = minSequence;
    }

    /// <summary>The smallest gating sequence, or <paramref name="minimum"/> if smaller
    /// (or if there are none: an ungated ring never waits).</summary>
    private long GetMinimumGatingSequence(long minimum)
    {
        foreach (var sequence in Volatile.Read(ref _gatingSequences))
        {
            minimum = Math.Min(minimum, sequence.Value);
        }

        return minimum;
    }
}
