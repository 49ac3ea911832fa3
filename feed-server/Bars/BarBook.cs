using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Bars;

/// <summary>
/// OHLCV bars of every symbol in every interval (docs/protocol.md, "Bars"), computed from the quotes the fan-out takes:
/// a trade is a quote whose cumulative volume grew; its price is <c>last</c>, its volume the growth. A quote belongs to
/// the bar whose interval holds its <c>source_time_ns</c>, so every node behind one publisher computes the same bars.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> <see cref="OnQuote"/>, <see cref="CloseDue"/> and <see cref="ForgetVolumes"/> run on the
/// fan-out thread only: one writer, no lock, no allocation per quote. Sessions read on their event loops
/// (<see cref="SymbolBars"/> says how they never see a torn bar).</para>
/// <para><b>Closing.</b> A bar closes when a trade of its symbol falls past its end, or when the server's clock passes
/// its end by the close delay (<see cref="CloseDue"/>, called by the fan-out at each tick of the bar clock), whichever
/// comes first; a symbol with no trade in an interval gets a flat bar at its last close. A trade that comes after the
/// clock closed its bar (its source time is older than the bar in progress) counts in the bar in progress, so no
/// volume is lost.</para>
/// <para><b>Memory.</b> <see cref="BytesPerSymbol"/> (224 KB at the default 1,000 bars): four rings of 56-byte bars,
/// allocated when the symbol is interned (on the source's thread, so the fan-out never allocates); at most
/// <c>--max-symbols</c> times that (112 MB for the simulator's 500 symbols).</para>
/// </remarks>
internal sealed class BarBook
{
    /// <summary>Closed bars kept per symbol and interval, and the most <c>history</c> a client may ask for.</summary>
    public const int MaxHistory = 1000;

    private readonly SymbolBars?[] _bySymbol;
    private readonly long _closeDelayNs;

    /// <param name="symbols">The server's symbols: a symbol's bars are allocated when it is interned.</param>
    /// <param name="closeDelayNs">How long after a bar's end, by the server's clock, the clock closes it.</param>
    /// <param name="capacity">Closed bars kept per symbol and interval.</param>
    public BarBook(SymbolTable symbols, long closeDelayNs, int capacity = MaxHistory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(closeDelayNs);
        Capacity = capacity;
        _closeDelayNs = closeDelayNs;
        _bySymbol = new SymbolBars?[symbols.Capacity];
        symbols.SymbolAdded += Allocate;
        for (var id = 0; id < symbols.Count; id++)
        {
            Allocate(id);
        }
    }

    /// <summary>Closed bars kept per symbol and interval.</summary>
    public int Capacity { get; }

    /// <summary>Memory the bars of one symbol take.</summary>
    public long BytesPerSymbol => (long)BarIntervals.Count * (Capacity + 1) * Unsafe.SizeOf<BarValue>();

    /// <summary>How long after a bar's end the clock closes it, in nanoseconds.</summary>
    public long CloseDelayNs => _closeDelayNs;

    /// <summary>
    /// Takes one quote into the bars of its symbol. Fan-out thread only. Returns a mask of the intervals whose bar
    /// changed (bit i for <see cref="BarIntervals.Seconds"/>[i]): all of them for a trade, none otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int OnQuote(in QuoteEvent quote)
    {
        var bars = _bySymbol[quote.SymbolId];
        if (bars is null)
        {
            return 0;
        }

        var volume = quote.Volume;
        if (!bars.HasBaseline || volume <= bars.LastVolume)
        {
            // The first quote gives the baseline; a volume that went down started again (a new session of the source).
            bars.HasBaseline = true;
            bars.LastVolume = volume;
            return 0;
        }

        var traded = volume - bars.LastVolume;
        bars.LastVolume = volume;
        bars.BeginWrite();
        for (var i = 0; i < BarIntervals.Count; i++)
        {
            bars.Trade(i, quote.SourceTimeNs, quote.Last, traded);
        }

        bars.MarkOpen();
        bars.EndWrite();
        return BarIntervals.AllMask;
    }

    /// <summary>
    /// Closes every bar whose end is at least the close delay before <paramref name="nowNs"/> (the server's clock), with
    /// flat bars for intervals without trades, and tells <paramref name="listener"/> which symbols' bars closed. Fan-out
    /// thread only; called at every tick of the bar clock.
    /// </summary>
    public void CloseDue<TListener>(long nowNs, ref TListener listener)
        where TListener : struct, IBarListener
    {
        for (var id = 0; id < _bySymbol.Length; id++)
        {
            var bars = _bySymbol[id];
            if (bars is null)
            {
                // Symbols are interned in id order: the first one without bars ends the list.
                break;
            }

            if (!bars.Open)
            {
                continue;
            }

            var mask = 0;
            for (var i = 0; i < BarIntervals.Count; i++)
            {
                var due = BarIntervals.StartOf(nowNs - _closeDelayNs, i);
                if (due > bars.CurrentStart(i))
                {
                    if (mask == 0)
                    {
                        bars.BeginWrite();
                    }

                    bars.CloseThrough(i, due);
                    mask |= 1 << i;
                }
            }

            if (mask != 0)
            {
                bars.EndWrite();
                listener.BarsChanged(id, mask);
            }
        }
    }

    /// <summary>The source's seqs and volumes started again (a new epoch): the next quote of each symbol is a baseline,
    /// not a trade. The bars stay: they are times and prices. Fan-out thread only.</summary>
    public void ForgetVolumes()
    {
        foreach (var bars in _bySymbol)
        {
            if (bars is null)
            {
                break;
            }

            bars.HasBaseline = false;
        }
    }

    /// <summary>The bars of symbol <paramref name="symbolId"/>; null when the symbol is unknown. Any thread.</summary>
    public SymbolBars? Get(int symbolId) =>
        (uint)symbolId < (uint)_bySymbol.Length ? Volatile.Read(ref _bySymbol[symbolId]) : null;

    private void Allocate(int symbolId) => Volatile.Write(ref _bySymbol[symbolId], new SymbolBars(Capacity));
}

/// <summary>Told, on the fan-out thread, which intervals of a symbol have a changed bar.</summary>
internal interface IBarListener
{
    void BarsChanged(int symbolId, int intervalMask);
}
