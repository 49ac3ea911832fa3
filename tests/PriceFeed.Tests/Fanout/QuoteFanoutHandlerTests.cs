using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class QuoteFanoutHandlerTests : IDisposable
{
    private readonly FanoutHarness _harness = new(symbols: 4);
    private readonly byte[] _destination = new byte[LastValueCache.JsonEntryStride];

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void CachesEveryQuoteEvenOfASymbolNobodySubscribesTo()
    {
        _harness.Publish(2);
        var latest = _harness.Publish(2);

        Assert.True(_harness.Cache.TryRead(2, out var cached));
        Assert.Equal(latest, cached);
        Assert.Equal(2, _harness.Handler.Processed);
    }

    [Fact]
    public void OffersAQuoteOnlyToSubscribersOfItsSymbol()
    {
        var first = _harness.Connect();
        var second = _harness.Connect();
        var other = _harness.Connect();
        first.Subscribe("S0");
        second.Subscribe("S0", "S1");
        other.Subscribe("S1");

        _harness.Publish(0);
        _harness.DrainAll();

        Assert.Equal((1, 1, 0), (first.LiveQuotes, second.LiveQuotes, other.LiveQuotes));
        Assert.Equal("S0", first.Messages.Last().Quotes.Quotes.Single().Symbol);
    }

    [Fact]
    public void SchedulesOneDrainPerSessionAtTheEndOfABatch()
    {
        var client = _harness.Connect();
        var bystander = _harness.Connect();
        client.Subscribe("S0", "S1", "S2");
        bystander.Subscribe("S3");
        client.DrainAndRead();

        _harness.Publish(0, endOfBatch: false);
        _harness.Publish(1, endOfBatch: false);
        Assert.Equal(0, client.PendingTasks);
        _harness.Publish(2, endOfBatch: true);

        Assert.Equal(1, client.PendingTasks);
        Assert.Equal(0, bystander.PendingTasks);
        var frames = client.DrainAndRead();
        Assert.Equal(["S0", "S1", "S2"], frames.Single().Quotes.Quotes.Select(q => q.Symbol));

        // Drained: the next batch asks again.
        _harness.PublishBatch(0, 1);
        Assert.Equal(1, client.PendingTasks);
    }

    [Fact]
    public void EncodesJsonOnlyWhileAJsonClientIsSubscribed()
    {
        var json = _harness.Connect(json: true);
        _harness.Connect().Subscribe("S0");

        _harness.Publish(0);
        Assert.Equal((true, false), LastLoggedEntries());

        // Any JSON subscription turns encoding on: the handler does not look at who wants which symbol.
        json.Subscribe("S1");
        _harness.Publish(0);
        Assert.Equal((true, true), LastLoggedEntries());

        json.Unsubscribe("S1");
        _harness.Publish(0);
        Assert.Equal((true, false), LastLoggedEntries());
    }

    /// <summary>Whether the log holds a protobuf and a JSON entry for the quote published last.</summary>
    private (bool Protobuf, bool Json) LastLoggedEntries()
    {
        var sequence = _harness.NextSequence - 1;
        return (_harness.Log.CopyEntry(sequence, _destination, out _, out _) > 0, _harness.Log.CopyJsonEntry(sequence, _destination, out _, out _) > 0);
    }

    /// <summary>
    /// Issue 12, defect 7: the sessions are woken at the end of a batch; a quote that fails on the batch's
    /// last event must not leave the updates offered before it without a drain.
    /// </summary>
    [Fact]
    public void WakesTheSessionsEvenWhenTheLastQuoteOfABatchFails()
    {
        var client = _harness.Connect();
        client.Subscribe(0, skipSnapshot: true, "S0");
        _harness.Publish(0, endOfBatch: false);
        var unprocessable = new PriceFeed.Server.Quotes.QuoteEvent { SymbolId = -1000, Seq = 1 };

        Assert.ThrowsAny<Exception>(() => _harness.Handler.OnEvent(ref unprocessable, _harness.NextSequence, endOfBatch: true));

        Assert.Equal(1, client.Session.DrainsScheduled);
        client.DrainAndRead();
        Assert.Equal(1UL, client.LastSeq["S0"]);
    }
}
