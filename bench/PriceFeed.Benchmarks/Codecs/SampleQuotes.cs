using System.Text;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Sources;

namespace PriceFeed.Benchmarks.Codecs;

/// <summary>Realistic quotes for the benchmarks: every field set, as the simulator makes them, with a symbol table to match.</summary>
internal static class SampleQuotes
{
    /// <summary>A symbol table of <paramref name="count"/> symbols named like the simulator's (2-5 letters).</summary>
    public static SymbolTable Symbols(int count)
    {
        var table = new SymbolTable(Math.Max(count, 1));
        for (var i = 0; i < count; i++)
        {
            table.Intern(Name(i));
        }

        return table;
    }

    /// <summary>Quote number <paramref name="n"/> of symbol <paramref name="symbolId"/>: seq and times grow, prices move.</summary>
    public static QuoteEvent Event(int symbolId, long n)
    {
        var nowNs = 1_763_950_000_000_000_000 + (n * 20_000);
        var mid = 100 + (symbolId % 50) + ((n % 100) * 0.01);
        return new QuoteEvent
        {
            SymbolId = symbolId,
            Seq = (ulong)n + 1,
            SourceTimeNs = nowNs,
            PublishTimeNs = nowNs + 3_000,
            Bid = mid - 0.01,
            Ask = mid + 0.01,
            BidSize = 300,
            AskSize = 500,
            Last = mid,
            LastSize = 100,
            Volume = 1_000_000 + (ulong)n,
        };
    }

    /// <summary>The same quote as a Google.Protobuf message.</summary>
    public static Quote Message(in QuoteEvent quote, string symbol) => new()
    {
        Symbol = symbol,
        Seq = quote.Seq,
        SourceTimeNs = quote.SourceTimeNs,
        PublishTimeNs = quote.PublishTimeNs,
        Bid = quote.Bid,
        Ask = quote.Ask,
        BidSize = quote.BidSize,
        AskSize = quote.AskSize,
        Last = quote.Last,
        LastSize = quote.LastSize,
        Volume = quote.Volume,
    };

    private static string Name(int i)
    {
        var name = new StringBuilder();
        do
        {
            name.Append((char)('A' + (i % 26)));
            i /= 26;
        }
        while (i > 0);

        return name.Append("XQ").ToString();
    }
}
