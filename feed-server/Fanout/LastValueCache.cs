using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// The latest quote of every symbol, indexed by symbol id, both as values and as its encoded
/// entries (a protobuf batch entry, and a JSON object while JSON clients are subscribed): what
/// snapshots and conflated updates are made of.
/// </summary>
/// <remarks>
/// <para>One writer (the fan-out thread) and any number of readers (sessions on their event
/// loops, HTTP handlers). Each entry is guarded by a sequence lock: the writer makes the
/// entry's version odd, writes, makes it even again; a reader copies the entry and retries if
/// the version was odd or changed meanwhile. The writer never waits and takes no lock, which
/// keeps the hot path free of them; a reader retries only while a write of about two hundred
/// bytes is in flight.</para>
/// <para>JSON entries are written under the same version as the rest, but only while the fan-out
/// encodes JSON (a JSON client is subscribed); a quote stored without one leaves the symbol's JSON
/// slot empty. A reader finding it empty (the JSON is older than the quote) encodes the JSON from
/// the cached quote itself. That is rare and off the hot path: a snapshot, or the first update, of
/// a symbol that has not ticked since JSON encoding was last off. In exchange the fan-out never
/// encodes JSON that no client reads.</para>
/// <para>Memory: capacity x (88 + <see cref="EntryStride"/>) bytes, about 15 MB for 65,536 symbols;
/// the JSON slots, capacity x (4 + <see cref="JsonEntryStride"/>) bytes more (36 MB), only once a
/// JSON client has connected (<see cref="EnableJson"/>).</para>
/// </remarks>
internal sealed class LastValueCache
{
    /// <summary>Bytes reserved per symbol for its encoded batch entry.</summary>
    public const int EntryStride = QuoteEncoder.MaxEntryBytes;

    /// <summary>Bytes reserved per symbol for its JSON entry.</summary>
    public const int JsonEntryStride = QuoteJsonEncoder.MaxEntryBytes;

    private readonly QuoteEvent[] _quotes;
    private readonly byte[] _entries;
    private readonly int[] _entryLengths;
    private readonly long[] _versions;
    private JsonSlots? _json;

    public LastValueCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _quotes = new QuoteEvent[capacity];
        _entries = new byte[capacity * EntryStride];
        _entryLengths = new int[capacity];
        _versions = new long[capacity];
    }

    public int Capacity => _quotes.Length;

    /// <summary>
    /// Makes room for JSON entries; until then <see cref="Write"/> ignores them. Idempotent, any thread:
    /// called when the first JSON client connects, so a server that serves only protobuf never pays for them.
    /// </summary>
    public void EnableJson()
    {
        if (Volatile.Read(ref _json) is null)
        {
            Interlocked.CompareExchange(ref _json, new JsonSlots(Capacity), null);
        }
    }

    /// <summary>
    /// Stores <paramref name="quote"/> and its encoded <paramref name="entry"/> as the symbol's latest,
    /// with its <paramref name="jsonEntry"/> if the fan-out made one (empty: the JSON slot is marked stale).
    /// Fan-out thread only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in QuoteEvent quote, ReadOnlySpan<byte> entry, ReadOnlySpan<byte> jsonEntry = default)
    {
        var id = quote.SymbolId;
        var json = Volatile.Read(ref _json);
        ref var version = ref _versions[id];
        var start = version + 1;
        // A full fence: the odd version must be visible before any byte of the entry changes.
        Interlocked.Exchange(ref version, start);
        _quotes[id] = quote;
        entry.CopyTo(_entries.AsSpan(id * EntryStride, EntryStride));
        _entryLengths[id] = entry.Length;
        if (json is not null)
        {
            jsonEntry.CopyTo(json.Entries.AsSpan(id * JsonEntryStride, JsonEntryStride));
            json.Lengths[id] = jsonEntry.Length;
        }

        Volatile.Write(ref version, start + 1);
    }

    /// <summary>
    /// Empties the entries of the first <paramref name="count"/> symbols, each under its version as a write is: the
    /// source's epoch changed (docs/protocol.md, "Epoch") and a quote of the old one must not be served after it.
    /// Fan-out thread only; rare (a restarted publisher), so one pass over the symbols, about a microsecond per thousand.
    /// </summary>
    public void Forget(int count)
    {
        var json = Volatile.Read(ref _json);
        for (var id = 0; id < count; id++)
        {
            ref var version = ref _versions[id];
            if (version == 0)
            {
                continue;
            }

            var start = version + 1;
            Interlocked.Exchange(ref version, start);
            _quotes[id] = default;
            _entryLengths[id] = 0;
            if (json is not null)
            {
                json.Lengths[id] = 0;
            }

            Volatile.Write(ref version, start + 1);
        }
    }

    /// <summary>Copies the latest quote of <paramref name="symbolId"/>; false if it never had one (or had none since <see cref="Forget"/>).</summary>
    public bool TryRead(int symbolId, out QuoteEvent quote)
    {
        ref var version = ref _versions[symbolId];
        var spinner = new SpinWait();
        while (true)
        {
            var before = Volatile.Read(ref version);
            if ((before & 1) == 0)
            {
                quote = _quotes[symbolId];
                // The copy must complete before the version is read again.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref version) == before)
                {
                    // Seqs start at 1: seq 0 is an entry emptied by Forget.
                    return before != 0 && quote.Seq != 0;
                }
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Copies the latest encoded batch entry of <paramref name="symbolId"/> into <paramref name="destination"/>
    /// (at least <see cref="EntryStride"/> bytes); returns its length, 0 if the symbol never had a quote.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyEntry(int symbolId, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        ref var version = ref _versions[symbolId];
        var source = _entries.AsSpan(symbolId * EntryStride, EntryStride);
        var spinner = new SpinWait();
        while (true)
        {
            var before = Volatile.Read(ref version);
            if ((before & 1) == 0)
            {
                var length = _entryLengths[symbolId];
                seq = _quotes[symbolId].Seq;
                publishTimeNs = _quotes[symbolId].PublishTimeNs;
                source[..length].CopyTo(destination);
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref version) == before)
                {
                    return before == 0 ? 0 : length;
                }
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Copies the latest JSON entry of <paramref name="symbolId"/> into <paramref name="destination"/>
    /// (at least <see cref="JsonEntryStride"/> bytes); returns its length, 0 if the symbol never had a quote.
    /// </summary>
    /// <param name="symbol">The symbol's bytes, to encode the entry here when the quote was stored without one.</param>
    public int CopyJsonEntry(int symbolId, ReadOnlySpan<byte> symbol, Span<byte> destination, out ulong seq, out long publishTimeNs)
    {
        var json = Volatile.Read(ref _json);
        ref var version = ref _versions[symbolId];
        var spinner = new SpinWait();
        QuoteEvent stale = default;
        while (true)
        {
            var before = Volatile.Read(ref version);
            if ((before & 1) == 0)
            {
                var length = json?.Lengths[symbolId] ?? 0;
                seq = _quotes[symbolId].Seq;
                publishTimeNs = _quotes[symbolId].PublishTimeNs;
                if (length > 0)
                {
                    json!.Entries.AsSpan(symbolId * JsonEntryStride, length).CopyTo(destination);
                }
                else
                {
                    stale = _quotes[symbolId];
                }

                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref version) == before)
                {
                    if (before == 0 || seq == 0)
                    {
                        return 0;
                    }

                    // Stored while no JSON client was subscribed: encode it now, from the consistent copy.
                    return length > 0 ? length : QuoteJsonEncoder.WriteEntry(stale, symbol, destination);
                }
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>The latest seq of <paramref name="symbolId"/>, 0 if none; a cheap read for tests and health checks.</summary>
    public ulong LatestSeq(int symbolId) => TryRead(symbolId, out var quote) ? quote.Seq : 0;

    /// <summary>The JSON side of the cache, allocated on demand: one slot of <see cref="JsonEntryStride"/> bytes per symbol.</summary>
    private sealed class JsonSlots(int capacity)
    {
        public byte[] Entries { get; } = new byte[capacity * JsonEntryStride];

        /// <summary>Length of each symbol's JSON entry; 0 when its latest quote was stored without one.</summary>
        public int[] Lengths { get; } = new int[capacity];
    }
}
