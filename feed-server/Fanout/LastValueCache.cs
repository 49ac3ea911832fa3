using System.Runtime.CompilerServices;
using PriceFeed.Server.Ring;

namespace PriceFeed.Server.Fanout;

/// <summary>
/// The latest quote of every symbol, indexed by symbol id, both as values and as its encoded
/// batch entry: what snapshots and conflated updates are made of.
/// </summary>
/// <remarks>
/// <para>One writer (the fan-out thread) and any number of readers (sessions on their event
/// loops, HTTP handlers). Each entry is guarded by a sequence lock: the writer makes the
/// entry's version odd, writes, makes it even again; a reader copies the entry and retries if
/// the version was odd or changed meanwhile. The writer never waits and takes no lock, which
/// keeps the hot path free of them; a reader retries only while a write of about two hundred
/// bytes is in flight.</para>
/// <para>Memory: capacity x (88 + <see cref="EntryStride"/>) bytes, about 15 MB for 65,536 symbols.</para>
/// </remarks>
internal sealed class LastValueCache
{
    /// <summary>Bytes reserved per symbol for its encoded batch entry.</summary>
    public const int EntryStride = QuoteEncoder.MaxEntryBytes;

    private readonly QuoteEvent[] _quotes;
    private readonly byte[] _entries;
    private readonly int[] _entryLengths;
    private readonly long[] _versions;

    public LastValueCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _quotes = new QuoteEvent[capacity];
        _entries = new byte[capacity * EntryStride];
        _entryLengths = new int[capacity];
        _versions = new long[capacity];
    }

    public int Capacity => _quotes.Length;

    /// <summary>Stores <paramref name="quote"/> and its encoded <paramref name="entry"/> as the symbol's latest. Fan-out thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in QuoteEvent quote, ReadOnlySpan<byte> entry)
    {
        var id = quote.SymbolId;
        ref var version = ref _versions[id];
        var start = version + 1;
        // A full fence: the odd version must be visible before any byte of the entry changes.
        Interlocked.Exchange(ref version, start);
        _quotes[id] = quote;
        entry.CopyTo(_entries.AsSpan(id * EntryStride, EntryStride));
        _entryLengths[id] = entry.Length;
        Volatile.Write(ref version, start + 1);
    }

    /// <summary>Copies the latest quote of <paramref name="symbolId"/>; false if it never had one.</summary>
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
                    return before != 0;
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

    /// <summary>The latest seq of <paramref name="symbolId"/>, 0 if none; a cheap read for tests and health checks.</summary>
    public ulong LatestSeq(int symbolId) => TryRead(symbolId, out var quote) ? quote.Seq : 0;
}
