using PriceFeed.Server.Fanout;
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

        cache.Write(new QuoteEvent { SymbolId = 1, Seq = 1, Bid = 10, Ask = 11 });
        cache.Write(new QuoteEvent { SymbolId = 1, Seq = 2, Bid = 10.5, Ask = 11.5 });
        cache.Write(new QuoteEvent { SymbolId = 3, Seq = 7, Bid = 1, Ask = 2 });

        Assert.True(cache.TryRead(1, out var one));
        Assert.Equal(2ul, one.Seq);
        Assert.Equal(10.5, one.Bid);
        Assert.Equal(7ul, cache.LatestSeq(3));
    }

    [Fact]
    public async Task ReadersNeverSeeATornQuoteWhileTheWriterRuns()
    {
        var cache = new LastValueCache(1);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            // Every field carries the same number, so a torn read shows as fields that disagree.
            for (ulong seq = 1; !stop.IsCancellationRequested; seq++)
            {
                cache.Write(new QuoteEvent
                {
                    Seq = seq, SourceTimeNs = (long)seq, PublishTimeNs = (long)seq, Bid = seq, Ask = seq,
                    BidSize = seq, AskSize = seq, Last = seq, LastSize = seq, Volume = seq,
                });

                // Real symbols tick thousands of times a second, not millions: leave readers a window.
                Thread.SpinWait(20);
            }
        });

        var reads = 0;
        var deadline = Environment.TickCount64 + 500;
        while (Environment.TickCount64 < deadline)
        {
            if (cache.TryRead(0, out var q))
            {
                Assert.True(
                    q.Volume == q.Seq && (ulong)q.SourceTimeNs == q.Seq && (ulong)q.Bid == q.Seq && (ulong)q.LastSize == q.Seq,
                    $"torn read at seq {q.Seq}");
                reads++;
            }
        }

        stop.Cancel();
        await writer;
        Assert.True(reads > 1000);
    }
}
