using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Fanout;

public sealed class LastValueCacheTests
{
    [Fact]
    public void ReadsNothingForASymbolThatNeverHadAQuote()
    {
        var cache = new LastValueCache(4);

        Assert.False(cache.TryRead(2, out _));
        Assert.Equal(0ul, cache.LatestSeq(2));
    }

    [Fact]
    public void KeepsTheLatestQuotePerSymbol()
    {
        var cache = new LastValueCache(4);

        cache.Write(new QuoteEvent { SymbolId = 1, Seq = 1, Bid = 10, Ask = 11 }, [1]);
        cache.Write(new QuoteEvent { SymbolId = 1, Seq = 2, Bid = 10.5, Ask = 11.5 }, [2, 2]);
        cache.Write(new QuoteEvent { SymbolId = 3, Seq = 7, Bid = 1, Ask = 2 }, [7]);

        Assert.True(cache.TryRead(1, out var one));
        Assert.Equal(2ul, one.Seq);
        Assert.Equal(10.5, one.Bid);
        Assert.Equal(7ul, cache.LatestSeq(3));

        var entry = new byte[LastValueCache.EntryStride];
        Assert.Equal(2, cache.CopyEntry(1, entry, out var seq, out _));
        Assert.Equal(2ul, seq);
        Assert.Equal([2, 2], entry[..2]);
        Assert.Equal(0, cache.CopyEntry(0, entry, out _, out _));
    }

    [Fact]
    public void JsonEntryIsTheStoredOneOrEncodedFromTheQuoteWhenStoredWithout()
    {
        var cache = new LastValueCache(2);
        cache.EnableJson();
        var destination = new byte[LastValueCache.JsonEntryStride];

        cache.Write(new QuoteEvent { SymbolId = 0, Seq = 1, Bid = 10 }, [1], "{\"stored\":1}"u8);
        var length = cache.CopyJsonEntry(0, "AAA"u8, destination, out var seq, out _);
        Assert.Equal("{\"stored\":1}", System.Text.Encoding.UTF8.GetString(destination, 0, length));
        Assert.Equal(1ul, seq);

        // JSON off when seq 2 arrived: the stored JSON is older than the quote, so it is not used.
        cache.Write(new QuoteEvent { SymbolId = 0, Seq = 2, Bid = 10.5 }, [2]);
        length = cache.CopyJsonEntry(0, "AAA"u8, destination, out seq, out _);
        Assert.Equal("{\"symbol\":\"AAA\",\"seq\":\"2\",\"bid\":10.5}", System.Text.Encoding.UTF8.GetString(destination, 0, length));
        Assert.Equal(2ul, seq);

        Assert.Equal(0, cache.CopyJsonEntry(1, "BBB"u8, destination, out _, out _));
    }

    [Fact]
    public void ReadersNeverSeeATornQuoteWhileTheWriterRuns()
    {
        var cache = new LastValueCache(1);
        using var stop = new CancellationTokenSource();
        // A dedicated thread: the test must not depend on a busy thread pool to start the writer.
        var writer = new Thread(() =>
        {
            // Every field carries the same number, so a torn read shows as fields that disagree.
            for (ulong seq = 1; !stop.IsCancellationRequested; seq++)
            {
                var stamp = BitConverter.GetBytes(seq);
                cache.Write(
                    new QuoteEvent
                    {
                        Seq = seq, SourceTimeNs = (long)seq, PublishTimeNs = (long)seq, Bid = seq, Ask = seq,
                        BidSize = seq, AskSize = seq, Last = seq, LastSize = seq, Volume = seq,
                    },
                    [.. stamp, .. stamp]);

                // Real symbols tick thousands of times a second, not millions: leave readers a window.
                Thread.SpinWait(20);
            }
        });
        writer.Start();

        var reads = 0;
        var deadline = Environment.TickCount64 + 10_000;
        while (reads < 20_000 && Environment.TickCount64 < deadline)
        {
            if (cache.TryRead(0, out var q))
            {
                Assert.True(
                    q.Volume == q.Seq && (ulong)q.SourceTimeNs == q.Seq && (ulong)q.Bid == q.Seq && (ulong)q.LastSize == q.Seq,
                    $"torn read at seq {q.Seq}");
                reads++;
            }

            var bytes = new byte[LastValueCache.EntryStride];
            if (cache.CopyEntry(0, bytes, out var entrySeq, out _) == 16)
            {
                Assert.Equal(entrySeq, BitConverter.ToUInt64(bytes, 0));
                Assert.Equal(entrySeq, BitConverter.ToUInt64(bytes, 8));
            }
        }

        stop.Cancel();
        writer.Join();
        Assert.True(reads >= 20_000, $"only {reads} reads completed");
    }
}
