using System.Globalization;
using PriceFeed.Simulation;

namespace PriceFeed.Simulator.Sinks;

/// <summary>Writes the first quotes of a run as aligned, readable lines, then ignores the rest.</summary>
/// <remarks>
/// One line per quote: time of day (UTC, to the ns), symbol, seq, book, last trade, volume:
/// <c>01:50:00.000100000  MARK    #12  bid 42.17 x 300  ask 42.19 x 500  last 42.19 x 100  vol 2,300</c>.
/// Called from the simulator's thread only; the writer is flushed after each batch it writes to.
/// </remarks>
internal sealed class PrintingQuoteSink(TextWriter writer, IReadOnlyList<string> symbols, long limit) : IQuoteSink
{
    private long _printed;

    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        if (_printed >= limit)
        {
            return;
        }

        var count = (int)Math.Min(batch.Length, limit - _printed);
        foreach (ref readonly var quote in batch[..count])
        {
            writer.WriteLine(Format(quote));
        }

        _printed += count;
        writer.Flush();
    }

    private string Format(in SimulatedQuote quote)
    {
        var time = UnixTime.ToDateTime(quote.SourceTimeNs);
        var nanosecondOfSecond = quote.SourceTimeNs % 1_000_000_000;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{time:HH:mm:ss}.{nanosecondOfSecond:D9}  {symbols[quote.Instrument],-5} {"#" + quote.Seq.ToString(CultureInfo.InvariantCulture),7}  bid {quote.Bid,8:F2} x {quote.BidSize,-5}  ask {quote.Ask,8:F2} x {quote.AskSize,-5}  last {quote.Last,8:F2} x {quote.LastSize,-5}  vol {quote.Volume:N0}");
    }
}
