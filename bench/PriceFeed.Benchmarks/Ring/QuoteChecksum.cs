using System.Runtime.CompilerServices;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>
/// What a benchmark's consumer computes over the quotes of one operation: an order-sensitive
/// hash (FNV-1a style over each quote's <see cref="QuoteEvent.Seq"/>), so that a transport
/// that loses, repeats or reorders quotes cannot pass.
/// </summary>
/// <remarks>
/// Consumer thread: <see cref="Accept"/>. Producer thread: <see cref="WaitForOperation"/>,
/// which returns the hash of the operation once the consumer has seen its last quote.
/// </remarks>
internal sealed class QuoteChecksum(long eventsPerOperation)
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private readonly long _lastSeq = eventsPerOperation - 1;
    private ulong _hash = OffsetBasis;
    private ulong _completedHash;
    private long _completedOperations;

    /// <summary>The hash of quotes with <c>Seq</c> 0, 1, ..., <paramref name="events"/> - 1 in order.</summary>
    public static ulong Expected(long events)
    {
        ulong hash = OffsetBasis;
        for (long seq = 0; seq < events; seq++)
        {
            hash = Step(hash, (ulong)seq);
        }

        return hash;
    }

    /// <summary>Fills the fields a benchmark producer writes for quote <paramref name="seq"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref QuoteEvent quote, long seq)
    {
        quote.SymbolId = (int)(seq & 1023);
        quote.Seq = (ulong)seq;
        quote.Bid = seq;
        quote.Ask = seq + 1;
    }

    /// <summary>Adds one received quote; the last of an operation completes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(in QuoteEvent quote)
    {
        _hash = Step(_hash, quote.Seq);
        if ((long)quote.Seq == _lastSeq)
        {
            _completedHash = _hash;
            _hash = OffsetBasis;
            Volatile.Write(ref _completedOperations, _completedOperations + 1);
        }
    }

    /// <summary>The number of operations completed so far; read before starting one.</summary>
    public long CompletedOperations => Volatile.Read(ref _completedOperations);

    /// <summary>Waits until the consumer has completed operation number <paramref name="completed"/>
    /// and throws unless its hash is <paramref name="expected"/>.</summary>
    public void WaitForOperation(long completed, ulong expected)
    {
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _completedOperations) < completed)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (_completedHash != expected)
        {
            throw new InvalidOperationException(
                $"The consumer's checksum is {_completedHash:X16}, expected {expected:X16}: quotes were lost, repeated or reordered.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ulong hash, ulong value) => (hash ^ value) * Prime;
}
