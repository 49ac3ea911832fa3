using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// The encoded batch entries of the most recent quotes, by ring sequence: what the <c>drop</c>
/// policy's per-client FIFOs point into, so a FIFO holds 8-byte sequences, not copies.
/// </summary>
/// <remarks>
/// <para>One writer (the fan-out thread) appends every quote; it overwrites the oldest entry
/// and never waits. Readers (sessions on their event loops) copy an entry and then check its
/// stamp is still the sequence they asked for: an entry overwritten meanwhile is reported
/// missing, and the session counts that quote as dropped, which is what <c>drop</c> promises
/// for a client too far behind.</para>
/// <para>Allocated only under the <c>drop</c> policy.</para>
/// </remarks>
internal sealed class QuoteLog
{
    private readonly byte[] _entries;
    private readonly int[] _lengths;
    private readonly ulong[] _seqs;
    private readonly long[] _publishTimes;
    private readonly long[] _stamps;
    private readonly long _mask;

    /// <param name="capacity">Entries kept, a power of two.</param>
    public QuoteLog(int capacity)
    {
        if (capacity < 1 || !int.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The quote log's capacity must be a power of two.");
        }

        _entries = new byte[capacity * LastValueCache.EntryStride];
        _lengths = new int[capacity];
        _seqs = new ulong[capacity];
        _publishTimes = new long[capacity];
        _stamps = new long[capacity];
        _stamps.AsSpan().Fill(-1);
        _mask = capacity - 1;
    }

    public int Capacity => _lengths.Length;

    /// <summary>Stores the entry of the quote at ring sequence <paramref name="sequence"/>. Fan-out thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(long sequence, ulong seq, long publishTimeNs, ReadOnlySpan<byte> entry)
    {
        var index = (int)(sequence & _mask);
        // Invalidate first, with a full fence, so no reader takes the old stamp for the new bytes.
        Interlocked.Exchange(ref _stamps[index], -1);
        entry.CopyTo(_entries.AsSpan(index * LastValueCache.EntryStride, LastValueCache.EntryStride));
        _lengths[index] = entry.Length;
        _seqs[index] = seq;
        _publishTimes[index] = publishTimeNs;
        Volatile.Write(ref _stamps[index], sequence);
    }

    /// <summary>Copies the entry of ring sequence <paramref name="sequence"/>; returns its length, 0 if it was overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyEntry(long sequence, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        var index = (int)(sequence & _mask);
        if (Volatile.Read(ref _stamps[index]) != sequence)
        {
            seq = 0;
            publishTimeNs = 0;
            return 0;
        }

        var length = _lengths[index];
        seq = _seqs[index];
        publishTimeNs = _publishTimes[index];
        _entries.AsSpan(index * LastValueCache.EntryStride, length).CopyTo(destination);
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _stamps[index]) == sequence ? length : 0;
    }
}
