using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// The last <see cref="Depth"/> updates of every symbol, already encoded: what a client that resumes
/// (docs/protocol.md, "Resume") is replayed from.
/// </summary>
/// <remarks>
/// <para>One writer (the fan-out thread) appends every quote of every symbol, subscribed or not (a client
/// that is away subscribes to nothing); it overwrites the symbol's oldest entry and never waits. Readers
/// (sessions on their event loops, when a client resumes) copy entries newest first and check each entry's
/// stamp, as <see cref="QuoteLog"/> does: the writer invalidates the stamp with a full fence, writes the
/// entry, then publishes the stamp (the symbol's write count); a reader that finds another stamp before or
/// after its copy was lapped and gives up (the client gets a snapshot instead). So no reader ever takes a
/// torn entry, and the writer takes no lock and allocates nothing per quote.</para>
/// <para>An entry is a slot of the <see cref="LastValueCache"/>'s layout: the protobuf batch entry
/// (<see cref="LastValueCache.EntryStride"/> bytes reserved) and its seq, which is all a replay needs. JSON is
/// not kept: a JSON client's replay decodes the protobuf entry and encodes it as JSON when it resumes, off the
/// hot path; keeping JSON entries (<see cref="LastValueCache.JsonEntryStride"/> bytes each) would more than
/// double the memory for a rare read.</para>
/// <para>Memory: <see cref="BytesPerEntry"/> (155) bytes per entry, so Depth x 155 bytes per symbol (155 KB at
/// the default depth of 1,024), allocated when the symbol first appears, never before; at most
/// <c>--max-symbols</c> x that (78 MB for the simulator's default 500 symbols; 10 GB if all 65,536 appear).</para>
/// </remarks>
internal sealed class SymbolHistory
{
    /// <summary>Bytes one entry takes: the encoded entry, its seq, its length and its stamp.</summary>
    public const int BytesPerEntry = LastValueCache.EntryStride + sizeof(ulong) + sizeof(int) + sizeof(long);

    private readonly SymbolSlots?[] _bySymbol;

    /// <param name="depth">Updates kept per symbol, at least 1.</param>
    /// <param name="symbols">The server's symbols: a symbol's ring is allocated when it is interned (on the
    /// source's thread, before its first quote enters the quote ring), so the fan-out never allocates.</param>
    public SymbolHistory(int depth, SymbolTable symbols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        Depth = depth;
        _bySymbol = new SymbolSlots?[symbols.Capacity];
        symbols.SymbolAdded += Allocate;
        for (var id = 0; id < symbols.Count; id++)
        {
            Allocate(id);
        }
    }

    /// <summary>Updates kept per symbol.</summary>
    public int Depth { get; }

    /// <summary>
    /// Stores the encoded <paramref name="entry"/> of <paramref name="quote"/> as the symbol's newest update,
    /// overwriting its oldest. Fan-out thread only, before the quote is offered (see <see cref="TryCollect"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(in QuoteEvent quote, ReadOnlySpan<byte> entry)
    {
        var ring = Volatile.Read(ref _bySymbol[quote.SymbolId]);
        if (ring is null)
        {
            return;
        }

        var count = ring.Count;
        var index = (int)(count % Depth);
        // Invalidate first, with a full fence, so no reader takes the old stamp for the new bytes.
        Interlocked.Exchange(ref ring.Stamps[index], -1);
        entry.CopyTo(ring.Entries.AsSpan(index * LastValueCache.EntryStride, LastValueCache.EntryStride));
        ring.Lengths[index] = entry.Length;
        ring.Seqs[index] = quote.Seq;
        Volatile.Write(ref ring.Stamps[index], count);
        Volatile.Write(ref ring.Count, count + 1);
    }

    /// <summary>
    /// Forgets every symbol's updates: the source's epoch changed (docs/protocol.md, "Epoch"), so seqs start again and
    /// no update of the old epoch may be replayed as one of the new. Fan-out thread only; rare, one store per symbol.
    /// </summary>
    /// <remarks>Nothing is erased: each symbol's floor moves up to its write count, and readers take no entry below it.
    /// A reader that read the old floor replays updates of the old epoch to a client that resumed in it, which is right:
    /// that client gets the new epoch's <c>hello</c> and snapshot after them.</remarks>
    public void Forget()
    {
        foreach (var ring in _bySymbol)
        {
            if (ring is not null)
            {
                Volatile.Write(ref ring.Floor, ring.Count);
            }
        }
    }

    /// <summary>
    /// Collects, oldest first, every update of <paramref name="symbolId"/> with a seq after <paramref name="afterSeq"/>,
    /// if the history still holds all of them and there are at most <paramref name="maxUpdates"/>. Any thread.
    /// </summary>
    /// <returns>
    /// True when the client can continue from <paramref name="afterSeq"/> with no gap (also with nothing to replay:
    /// <paramref name="afterSeq"/> is the newest). False when the symbol has no update, <paramref name="afterSeq"/> is
    /// newer than its newest (bad input), older than the history holds, or more than <paramref name="maxUpdates"/>
    /// updates back, or the writer lapped the reader during the copy.
    /// </returns>
    /// <remarks>
    /// Called after the subscription entered the registry (whose change ends with a full fence), while the
    /// fan-out writes here before its own full fence and then reads the registry: an update this read does not
    /// see was offered to the subscription, so the replay and the live updates together miss nothing; the
    /// session's last seq sent drops what both hold.
    /// </remarks>
    public bool TryCollect(int symbolId, ulong afterSeq, int maxUpdates, List<HistoryEntry> into)
    {
        var ring = symbolId < _bySymbol.Length ? Volatile.Read(ref _bySymbol[symbolId]) : null;
        if (ring is null)
        {
            return false;
        }

        var start = into.Count;
        var count = Volatile.Read(ref ring.Count);
        var oldest = Math.Max(Volatile.Read(ref ring.Floor), count - Depth);
        for (var k = count - 1; k >= oldest; k--)
        {
            var index = (int)(k % Depth);
            if (Volatile.Read(ref ring.Stamps[index]) != k)
            {
                return Fail(into, start);
            }

            var seq = ring.Seqs[index];
            var length = ring.Lengths[index];
            var entry = ring.Entries.AsSpan(index * LastValueCache.EntryStride, length).ToArray();
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref ring.Stamps[index]) != k)
            {
                return Fail(into, start);
            }

            if (seq <= afterSeq)
            {
                // The newest older than the resume point means the client claims a seq we never had.
                if (k == count - 1 && seq < afterSeq)
                {
                    return Fail(into, start);
                }

                into.Reverse(start, into.Count - start);
                return true;
            }

            if (into.Count - start == maxUpdates)
            {
                return Fail(into, start);
            }

            into.Add(new HistoryEntry(symbolId, seq, entry));
        }

        // Every held update is newer than afterSeq: whole only if the oldest held is the one right after it.
        if (into.Count > start && into[^1].Seq == afterSeq + 1)
        {
            into.Reverse(start, into.Count - start);
            return true;
        }

        return Fail(into, start);
    }

    private static bool Fail(List<HistoryEntry> into, int start)
    {
        into.RemoveRange(start, into.Count - start);
        return false;
    }

    private void Allocate(int id)
    {
        if (id < _bySymbol.Length && Volatile.Read(ref _bySymbol[id]) is null)
        {
            Volatile.Write(ref _bySymbol[id], new SymbolSlots(Depth));
        }
    }

    /// <summary>One symbol's entries, a ring indexed by write count modulo the depth.</summary>
    private sealed class SymbolSlots
    {
        public SymbolSlots(int depth)
        {
            Entries = new byte[depth * LastValueCache.EntryStride];
            Lengths = new int[depth];
            Seqs = new ulong[depth];
            Stamps = new long[depth];
            Stamps.AsSpan().Fill(-1);
        }

        public readonly byte[] Entries;
        public readonly int[] Lengths;
        public readonly ulong[] Seqs;

        /// <summary>The write count that filled each slot; -1 while it is being written.</summary>
        public readonly long[] Stamps;

        /// <summary>Updates written so far; the next one goes to slot <c>Count % depth</c>. Written by the fan-out thread only.</summary>
        public long Count;

        /// <summary>The write count of the first update of the current epoch: nothing below it is read (<see cref="Forget"/>).</summary>
        public long Floor;
    }
}
