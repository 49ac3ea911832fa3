using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Tests.Fanout;

public sealed class SymbolHistoryTests
{
    private readonly SymbolTable _symbols = new(8);

    public SymbolHistoryTests()
    {
        _symbols.Intern("A");
    }

    [Fact]
    public void CollectsEveryUpdateAfterTheResumePointOldestFirst()
    {
        var history = new SymbolHistory(8, _symbols);
        AppendUpTo(history, 5);

        var updates = new List<HistoryEntry>();
        Assert.True(history.TryCollect(0, 2, 100, updates));

        Assert.Equal([3ul, 4, 5], updates.Select(u => u.Seq));
        Assert.All(updates, u => Assert.Equal(EntryFor(u.Seq), u.Entry));
    }

    [Fact]
    public void KeepsOnlyTheLastDepthUpdatesWhenItWrapsAround()
    {
        var history = new SymbolHistory(4, _symbols);
        AppendUpTo(history, 10);

        var updates = new List<HistoryEntry>();
        Assert.True(history.TryCollect(0, 6, 100, updates));
        Assert.Equal([7ul, 8, 9, 10], updates.Select(u => u.Seq));

        // Update 6 is gone: a client that holds only 5 would miss it.
        updates.Clear();
        Assert.False(history.TryCollect(0, 5, 100, updates));
        Assert.Empty(updates);
    }

    [Fact]
    public void RecoversWithNothingToReplayAtTheLatestSeq()
    {
        var history = new SymbolHistory(4, _symbols);
        AppendUpTo(history, 10);

        var updates = new List<HistoryEntry>();
        Assert.True(history.TryCollect(0, 10, 100, updates));
        Assert.Empty(updates);
    }

    [Fact]
    public void RefusesASeqNewerThanTheLatestAndASymbolWithNoUpdate()
    {
        var history = new SymbolHistory(4, _symbols);
        var updates = new List<HistoryEntry>();
        Assert.False(history.TryCollect(0, 0, 100, updates));

        AppendUpTo(history, 3);
        Assert.False(history.TryCollect(0, 4, 100, updates));
        Assert.False(history.TryCollect(1, 0, 100, updates));
        Assert.Empty(updates);
    }

    [Fact]
    public void RefusesMoreUpdatesThanTheBoundAllows()
    {
        var history = new SymbolHistory(16, _symbols);
        AppendUpTo(history, 10);

        var updates = new List<HistoryEntry>();
        Assert.False(history.TryCollect(0, 4, 5, updates));
        Assert.True(history.TryCollect(0, 5, 5, updates));
        Assert.Equal([6ul, 7, 8, 9, 10], updates.Select(u => u.Seq));
    }

    [Fact]
    public void AllocatesTheRingOfASymbolInternedLater()
    {
        var history = new SymbolHistory(4, _symbols);
        var id = _symbols.Intern("B");
        history.Append(new QuoteEvent { SymbolId = id, Seq = 1 }, EntryFor(1));

        var updates = new List<HistoryEntry>();
        Assert.True(history.TryCollect(id, 0, 10, updates));
        Assert.Equal([1ul], updates.Select(u => u.Seq));
    }

    [Fact]
    public void AReaderRacingTheWriterNeverTakesATornEntryOrAGap()
    {
        // Depth 4 and a writer one update ahead each round: the reader is lapped often, and must then give up,
        // never return an entry whose bytes belong to another seq or a run with a hole.
        var history = new SymbolHistory(4, _symbols);
        ulong seq = 0;
        var updates = new List<HistoryEntry>();
        var recovered = false;
        var violations = new List<string>();
        Litmus.Run(
            rounds: 100_000,
            setup: _ => { },
            left: _ =>
            {
                for (var i = 0; i < 3; i++)
                {
                    seq++;
                    history.Append(new QuoteEvent { SymbolId = 0, Seq = seq }, EntryFor(seq));
                }
            },
            right: _ =>
            {
                updates.Clear();
                var latest = Volatile.Read(ref seq);
                recovered = history.TryCollect(0, latest > 2 ? latest - 2 : 0, 100, updates);
            },
            check: round =>
            {
                if (!recovered)
                {
                    return;
                }

                for (var i = 0; i < updates.Count; i++)
                {
                    if (!updates[i].Entry.AsSpan().SequenceEqual(EntryFor(updates[i].Seq)))
                    {
                        violations.Add($"round {round}: torn entry for seq {updates[i].Seq}");
                    }

                    if (i > 0 && updates[i].Seq != updates[i - 1].Seq + 1)
                    {
                        violations.Add($"round {round}: gap between {updates[i - 1].Seq} and {updates[i].Seq}");
                    }
                }
            });

        Assert.Empty(violations);
    }

    private static void AppendUpTo(SymbolHistory history, ulong last)
    {
        for (ulong seq = 1; seq <= last; seq++)
        {
            history.Append(new QuoteEvent { SymbolId = 0, Seq = seq }, EntryFor(seq));
        }
    }

    /// <summary>An entry whose every byte says which seq it belongs to, and whose length varies with it.</summary>
    private static byte[] EntryFor(ulong seq) => Enumerable.Repeat((byte)(seq % 251), 20 + (int)(seq % 50)).ToArray();
}
