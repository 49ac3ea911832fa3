using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// The encoded batch entries of the most recent quotes, by ring sequence: what the clients'
/// FIFOs (<see cref="UpdateFifo"/>) point into, so a FIFO holds sequences, not copies.
/// </summary>
/// <remarks>
/// <para>One writer (the fan-out thread) appends every quote of a symbol someone subscribes to; it
/// overwrites the oldest entry and never waits. Readers (sessions on their event loops) copy an
/// entry and then check its stamp is still the sequence they asked for: an entry overwritten
/// meanwhile is reported missing. Under <c>drop</c> the session counts that quote as dropped,
/// which is what <c>drop</c> promises for a client too far behind; under <c>conflate</c> it sends
/// the symbol's latest from the <see cref="LastValueCache"/> instead.</para>
/// <para>JSON entries sit beside the protobuf ones while the fan-out encodes JSON. A JSON client's
/// FIFO only ever holds quotes the fan-out offered to it, and the fan-out makes a JSON entry for
/// every quote it offers while a JSON client is subscribed (<see cref="SubscriptionRegistry.JsonSessions"/>),
/// so a JSON reader finds its entry unless it was overwritten, like any reader.</para>
/// <para>Allocated under both policies, sized by <see cref="CapacityFor"/>; its JSON side, capacity x
/// <see cref="LastValueCache.JsonEntryStride"/> bytes, only once a JSON client has connected.</para>
/// </remarks>
internal sealed class QuoteLog
{
    private readonly byte[] _entries;
    private readonly int[] _lengths;
    private readonly ulong[] _seqs;
    private readonly long[] _publishTimes;
    private readonly long[] _stamps;
    private readonly long _mask;
    private JsonSlots? _json;

    /// <summary>
    /// The most entries a log holds: 2^21, the largest power of two whose JSON side (the larger,
    /// <see cref="LastValueCache.JsonEntryStride"/> bytes an entry, 1.1 GB here) still fits in one array.
    /// </summary>
    public const int MaxCapacity = 1 << 21;

    /// <param name="capacity">Entries kept, a power of two, at most <see cref="MaxCapacity"/>.</param>
    public QuoteLog(int capacity)
    {
        if (capacity < 1 || !int.IsPow2(capacity) || capacity > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(
                nameof(capacity), capacity, $"The quote log's capacity must be a power of two from 1 to {MaxCapacity} (QuoteLog.CapacityFor sizes it from --ring-size).");
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

    /// <summary>The log a server keeps for a ring of <paramref name="ringSize"/> slots under its policy.</summary>
    /// <remarks>
    /// Under <c>drop</c>, four rings' worth, so a client's whole queue is still in the log even when it
    /// subscribes to a small part of the market; under <c>conflate</c> the FIFOs only absorb bursts, and an
    /// entry the log lost is replaced by the symbol's latest, so one ring's worth. At least 2^16 and 2^14,
    /// at most <see cref="MaxCapacity"/>: past it a client that far behind has what <c>drop</c> promises anyway.
    /// </remarks>
    public static int CapacityFor(int ringSize, bool dropOldest)
    {
        var wanted = dropOldest ? Math.Max(ringSize * 4L, 1 << 16) : Math.Max(ringSize, 1 << 14);
        return (int)Math.Min(wanted, MaxCapacity);
    }

    /// <summary>Makes room for JSON entries; until then <see cref="Append"/> ignores them. Idempotent, any thread.</summary>
    public void EnableJson()
    {
        if (Volatile.Read(ref _json) is null)
        {
            Interlocked.CompareExchange(ref _json, new JsonSlots(Capacity), null);
        }
    }

    /// <summary>
    /// Stores the entries of the quote at ring sequence <paramref name="sequence"/>: protobuf, and JSON
    /// when the fan-out made one. Fan-out thread only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(long sequence, ulong seq, long publishTimeNs, ReadOnlySpan<byte> entry, ReadOnlySpan<byte> jsonEntry = default)
    {
        var index = (int)(sequence & _mask);
        var json = Volatile.Read(ref _json);
        // Invalidate first, with a full fence, so no reader takes the old stamp for the new bytes.
        Interlocked.Exchange(ref _stamps[index], -1);
        entry.CopyTo(_entries.AsSpan(index * LastValueCache.EntryStride, LastValueCache.EntryStride));
        _lengths[index] = entry.Length;
        if (json is not null)
        {
            jsonEntry.CopyTo(json.Entries.AsSpan(index * LastValueCache.JsonEntryStride, LastValueCache.JsonEntryStride));
            json.Lengths[index] = jsonEntry.Length;
        }

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

    /// <summary>Copies the JSON entry of ring sequence <paramref name="sequence"/>; returns its length, 0 if it was overwritten or has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyJsonEntry(long sequence, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        var index = (int)(sequence & _mask);
        var json = Volatile.Read(ref _json);
        if (json is null || Volatile.Read(ref _stamps[index]) != sequence)
        {
            seq = 0;
            publishTimeNs = 0;
            return 0;
        }

        var length = json.Lengths[index];
        seq = _seqs[index];
        publishTimeNs = _publishTimes[index];
        json.Entries.AsSpan(index * LastValueCache.JsonEntryStride, length).CopyTo(destination);
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _stamps[index]) == sequence ? length : 0;
    }

    /// <summary>The JSON side of the log, allocated on demand.</summary>
    private sealed class JsonSlots(int capacity)
    {
        public byte[] Entries { get; } = new byte[capacity * LastValueCache.JsonEntryStride];

        public int[] Lengths { get; } = new int[capacity];
    }
}
