using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class UpdateFifoTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TakesEntriesInTheOrderTheyWereOffered(bool overwrite)
    {
        var subscriptions = Subscriptions(3);
        var fifo = new UpdateFifo(8, overwrite);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(fifo.TryOffer(i, subscriptions[i % 3]));
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.True(fifo.TryTake(out var sequence, out var subscription, out var dropped));
            Assert.Equal((i, subscriptions[i % 3], 0L), (sequence, subscription, dropped));
        }

        Assert.False(fifo.TryTake(out _, out _, out _));
        Assert.Equal(0, fifo.Count);
    }

    [Fact]
    public void RefusesWhenFullUnderConflateAndTakesAgainOnceTheConsumerMoves()
    {
        var subscription = Subscriptions(1)[0];
        var fifo = new UpdateFifo(4, overwriteOldest: false);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(fifo.TryOffer(i, subscription));
        }

        Assert.False(fifo.TryOffer(4, subscription));
        Assert.True(fifo.TryTake(out var first, out _, out _));
        Assert.Equal(0, first);
        Assert.True(fifo.TryOffer(4, subscription));
        Assert.Equal(4, fifo.Count);
    }

    [Fact]
    public void OverwritesTheOldestUnderDropAndCountsWhatItSkipped()
    {
        var subscription = Subscriptions(1)[0];
        var fifo = new UpdateFifo(4, overwriteOldest: true);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(fifo.TryOffer(i, subscription));
        }

        var taken = new List<long>();
        long droppedTotal = 0;
        while (fifo.TryTake(out var sequence, out _, out var dropped))
        {
            taken.Add(sequence);
            droppedTotal += dropped;
        }

        Assert.Equal([6L, 7L, 8L, 9L], taken);
        Assert.Equal(6, droppedTotal);
    }

    /// <summary>
    /// Issue 12, defect 1: the producer rewrites the slot of position <c>tail</c> (the head's slot when
    /// the FIFO holds exactly its size) before it publishes <c>tail + 1</c>. A take between the two halves
    /// must not hand out the half-written entry as the oldest one.
    /// </summary>
    [Fact]
    public void TakeBetweenTheTwoHalvesOfAnOfferThatLapsTheConsumerReturnsNoOverwrittenEntry()
    {
        var subscriptions = Subscriptions(5);
        var fifo = new UpdateFifo(4, overwriteOldest: true);
        for (var i = 0; i < 4; i++)
        {
            fifo.TryOffer(i, subscriptions[i]);
        }

        // Position 4 goes into position 0's slot; the take runs before position 4 is published.
        fifo.WriteSlot(4, subscriptions[4]);
        var taken = new List<(long Sequence, SymbolSubscription Subscription)>();
        long droppedTotal = 0;
        Take(fifo, taken, ref droppedTotal);
        fifo.PublishSlot();
        while (Take(fifo, taken, ref droppedTotal))
        {
        }

        // Position 0 was lost to the overwrite (dropped, as drop promises); every other entry comes once, in order.
        Assert.Equal([1L, 2L, 3L, 4L], taken.Select(t => t.Sequence));
        Assert.All(taken, t => Assert.Same(subscriptions[t.Sequence], t.Subscription));
        Assert.Equal(1, droppedTotal);
    }

    /// <summary>
    /// Issue 12, defect 1, under real concurrency: a producer that keeps lapping a slower consumer. Every
    /// pair taken must be one that was offered together, and sequences must strictly increase.
    /// </summary>
    [Theory]
    [InlineData(4, 3_000_000)]
    [InlineData(1024, 3_000_000)]
    public void ConsumerLappedByProducerOnlyTakesPairsOfferedTogether(int capacity, int offers)
    {
        const int Kinds = 7;
        var subscriptions = Subscriptions(Kinds);
        var fifo = new UpdateFifo(capacity, overwriteOldest: true);
        var done = 0;
        var producer = new Thread(() =>
        {
            for (long i = 1; i <= offers; i++)
            {
                fifo.TryOffer(i, subscriptions[i % Kinds]);
            }

            Volatile.Write(ref done, 1);
        });

        long previous = 0, taken = 0, torn = 0, backwards = 0;
        producer.Start();
        while (true)
        {
            var finished = Volatile.Read(ref done) == 1;
            while (fifo.TryTake(out var sequence, out var subscription, out _))
            {
                taken++;
                torn += ReferenceEquals(subscription, subscriptions[sequence % Kinds]) ? 0 : 1;
                backwards += sequence > previous ? 0 : 1;
                previous = sequence;
            }

            if (finished)
            {
                break;
            }
        }

        producer.Join();
        Assert.True(taken > 0);
        Assert.True(torn == 0 && backwards == 0, $"{torn} torn pairs and {backwards} sequences not increasing in {taken} takes");
    }

    private static bool Take(UpdateFifo fifo, List<(long Sequence, SymbolSubscription Subscription)> taken, ref long droppedTotal)
    {
        var took = fifo.TryTake(out var sequence, out var subscription, out var dropped);
        droppedTotal += dropped;
        if (took)
        {
            taken.Add((sequence, subscription));
        }

        return took;
    }

    private static SymbolSubscription[] Subscriptions(int count)
    {
        using var harness = new FanoutHarness(symbols: count);
        var session = harness.Connect().Session;
        return [.. Enumerable.Range(0, count).Select(id => new SymbolSubscription(session, id, 0, viaWildcard: false))];
    }
}
