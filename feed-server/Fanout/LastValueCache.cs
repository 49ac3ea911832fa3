using System.Runtime.CompilerServices;
using PriceFeed.Server.Ring;

namespace PriceFeed.Server.Fanout;

/// <summary>The latest quote of every symbol, indexed by symbol id: what a snapshot is made of.</summary>
/// <remarks>
/// One writer (the fan-out thread) and any number of readers (sessions building snapshots on
/// their event loops, HTTP handlers). Each entry is guarded by a sequence lock: the writer
/// makes the entry's version odd, writes, makes it even again; a reader copies the entry and
/// retries if the version was odd or changed meanwhile. Writers never wait and take no lock,
/// which keeps the hot path free of them; readers spin only while a write of about a hundred
/// bytes is in flight.
/// </remarks>
internal sealed class LastValueCache
{
    private readonly QuoteEvent[] _quotes;
    private readonly long[] _versions;

    public LastValueCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _quotes = new QuoteEvent[capacity];
        _versions = new long[capacity];
    }

    public int Capacity => _quotes.Length;

    /// <summary>Stores <paramref name="quote"/> as its symbol's latest. Fan-out thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in QuoteEvent quote)
    {
        ref var version = ref _versions[quote.SymbolId];
        var start = version + 1;
        // A full fence: the odd version must be visible before any byte of the entry changes.
        Interlocked.Exchange(ref version, start);
        _quotes[quote.SymbolId] = quote;
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

    /// <summary>The latest seq of <paramref name="symbolId"/>, 0 if none; a cheap read for tests and health checks.</summary>
    public ulong LatestSeq(int symbolId) => TryRead(symbolId, out var quote) ? quote.Seq : 0;
}
