using System.Runtime.CompilerServices;

namespace PriceFeed.Server.Bars;

/// <summary>
/// The bars of one symbol: for each interval the bar in progress and a ring of the last closed ones. One writer (the
/// fan-out thread); readers on the sessions' event loops.
/// </summary>
/// <remarks>
/// <para><b>Bars in progress</b> are guarded by a sequence lock: the writer makes <see cref="_version"/> odd with a full
/// fence, writes, then makes it even again with a release; a reader copies between two reads of an even, unchanged
/// version and tries again otherwise. The writer never waits.</para>
/// <para><b>Closed bars</b> are a ring per interval of absolute positions 0, 1, 2, ...: the writer first claims position
/// k (<see cref="_claimed"/>, a full fence, so no byte of slot k lands before the claim is visible), writes the slot,
/// then publishes the count k + 1. A reader copies positions below the count it read, then (after a full fence) reads
/// the claim c and keeps only positions at least c - capacity: the slot of any older one may have been overwritten
/// while it copied.</para>
/// </remarks>
internal sealed class SymbolBars
{
    private readonly BarValue[] _current = new BarValue[BarIntervals.Count];
    private readonly BarValue[][] _closed = new BarValue[BarIntervals.Count][];
    private readonly long[] _count = new long[BarIntervals.Count];
    private readonly long[] _claimed = new long[BarIntervals.Count];
    private int _version;
    private volatile bool _open;

    public SymbolBars(int capacity)
    {
        Capacity = capacity;
        for (var i = 0; i < BarIntervals.Count; i++)
        {
            _closed[i] = new BarValue[capacity];
        }
    }

    /// <summary>Closed bars kept per interval.</summary>
    public int Capacity { get; }

    // Fan-out thread only below, up to the readers.

    /// <summary>True once the symbol traded: from then on every interval has a bar in progress. Any thread.</summary>
    public bool Open => _open;

    /// <summary>True once a quote gave the cumulative volume that the next one's growth is measured from.</summary>
    public bool HasBaseline { get; set; }

    /// <summary>The cumulative volume of the last quote.</summary>
    public ulong LastVolume { get; set; }

    public void BeginWrite() => Interlocked.Increment(ref _version);

    public void EndWrite() => Volatile.Write(ref _version, _version + 1);

    /// <summary>
    /// Adds a trade at source time <paramref name="timeNs"/> to interval <paramref name="index"/>, closing the bar in
    /// progress first when the trade is past its end (with a flat bar for each interval between). A trade older than
    /// the bar in progress (it came after the clock closed its bar) counts in the bar in progress. Inside a write.
    /// </summary>
    /// <returns>True when a bar closed.</returns>
    public bool Trade(int index, long timeNs, double price, ulong volume)
    {
        var start = BarIntervals.StartOf(timeNs, index);
        ref var bar = ref _current[index];
        var closed = false;
        if (!Open)
        {
            bar = BarValue.Flat(start, price);
        }
        else if (start > bar.StartNs)
        {
            closed = CloseThrough(index, start);
        }

        bar.Add(price, volume);
        return closed;
    }

    /// <summary>After the first trade of every interval: the symbol has bars from now on.</summary>
    public void MarkOpen() => _open = true;

    /// <summary>
    /// Closes the bar in progress of interval <paramref name="index"/> and the flat ones up to <paramref name="start"/>,
    /// where a new flat bar then begins at the last close. Inside a write. Writes at most <see cref="Capacity"/> flat
    /// bars, however long the gap: older ones would be overwritten at once.
    /// </summary>
    public bool CloseThrough(int index, long start)
    {
        ref var bar = ref _current[index];
        if (start <= bar.StartNs)
        {
            return false;
        }

        var length = BarIntervals.LengthNs(index);
        var close = bar.Close;
        Append(index, bar);
        var next = bar.StartNs + length;
        var flats = (start - next) / length;
        if (flats > Capacity)
        {
            next += (flats - Capacity) * length;
        }

        for (; next < start; next += length)
        {
            Append(index, BarValue.Flat(next, close));
        }

        bar = BarValue.Flat(start, close);
        return true;
    }

    /// <summary>The start of the bar in progress of interval <paramref name="index"/>. Fan-out thread.</summary>
    public long CurrentStart(int index) => _current[index].StartNs;

    private void Append(int index, in BarValue bar)
    {
        var position = _count[index];
        Interlocked.Exchange(ref _claimed[index], position + 1);
        _closed[index][(int)(position % Capacity)] = bar;
        Volatile.Write(ref _count[index], position + 1);
    }

    // Readers: any thread.

    /// <summary>Copies the bar in progress of interval <paramref name="index"/>; false before the symbol traded.</summary>
    public bool TryReadCurrent(int index, out BarValue bar)
    {
        if (!_open)
        {
            bar = default;
            return false;
        }

        var spinner = default(SpinWait);
        while (true)
        {
            var version = Volatile.Read(ref _version);
            if ((version & 1) == 0)
            {
                bar = _current[index];
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _version) == version)
                {
                    return true;
                }
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>The start of the newest closed bar of interval <paramref name="index"/>; <see cref="long.MinValue"/> when none closed yet.</summary>
    public long NewestClosedStart(int index)
    {
        Span<BarValue> one = stackalloc BarValue[1];
        return ReadClosed(index, long.MinValue, one, newest: true) == 1 ? one[0].StartNs : long.MinValue;
    }

    /// <summary>
    /// Copies closed bars of interval <paramref name="index"/> that start after <paramref name="afterStartNs"/>, oldest
    /// first: the oldest ones that fit in <paramref name="destination"/>, or with <paramref name="newest"/> the newest
    /// ones. Returns how many.
    /// </summary>
    public int ReadClosed(int index, long afterStartNs, Span<BarValue> destination, bool newest = false)
    {
        var ring = _closed[index];
        while (true)
        {
            var count = Volatile.Read(ref _count[index]);
            var first = Math.Max(0, count - Capacity);
            var from = FirstAfter(ring, first, count, afterStartNs);
            var take = (int)Math.Min(destination.Length, count - from);
            if (newest)
            {
                from = count - take;
            }

            for (var i = 0; i < take; i++)
            {
                destination[i] = ring[(int)((from + i) % Capacity)];
            }

            Interlocked.MemoryBarrier();
            if (from >= Volatile.Read(ref _claimed[index]) - Capacity)
            {
                return take;
            }

            // Lapped while copying (a reader slower than Capacity closes): read again from what is there now.
        }
    }

    // Closed bars are in start order: a binary search over positions [first, count) for the first start after the given one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long FirstAfter(BarValue[] ring, long first, long count, long afterStartNs)
    {
        long low = first, high = count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (ring[(int)(middle % Capacity)].StartNs > afterStartNs)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }
}
