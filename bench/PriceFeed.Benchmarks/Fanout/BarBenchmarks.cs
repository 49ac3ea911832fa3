using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Server.Bars;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// What bars (issue 17) cost the fan-out thread per quote: <c>BarBook.OnQuote</c> for a trade (all four intervals
/// updated, a 1 s bar closed every 50,000 quotes as source time moves 20 us a quote) and for a quote that is no trade
/// (volume unchanged); then <c>QuoteFanoutHandler.OnEvent</c> with 10 subscribers, bars off, bars on with no bar
/// subscriber, and bars on with 10 sessions subscribed to the bars of every symbol in all four intervals.
/// </summary>
/// <remarks>Times and allocations are per quote (64 quotes on 64 symbols per operation). The clients never drain, as in
/// <see cref="FanoutHandlerBenchmarks"/>: the steady state of the offer (a bar subscription already flagged stays
/// flagged). Allocated must be 0 B.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "The rig is disposed by GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class BarBenchmarks
{
    private const int QuotesPerOperation = 64;
    private const int Subscribers = 10;

    private BarBook? _book;
    private QuoteEvent[] _unchanged = [];
    private FanoutRig? _rig;
    private long _quoteNumber;

    [GlobalSetup(Targets = [nameof(BookTrade), nameof(BookNoTrade)])]
    public void SetUpBook()
    {
        var symbols = SampleQuotes.Symbols(QuotesPerOperation);
        _book = new BarBook(symbols, closeDelayNs: 20_000_000);
        _unchanged = [.. Enumerable.Range(0, QuotesPerOperation).Select(id => SampleQuotes.Event(id, id))];
        foreach (var quote in _unchanged)
        {
            // The baseline, then a trade: every symbol has bars, and the next quote of the same volume is no trade.
            _book.OnQuote(quote);
            var traded = quote;
            traded.Volume++;
            _book.OnQuote(traded);
        }

        for (var i = 0; i < _unchanged.Length; i++)
        {
            _unchanged[i].Volume++;
        }
    }

    [GlobalSetup(Target = nameof(FanoutBarsOff))]
    public void SetUpBarsOff() => _rig = new FanoutRig(QuotesPerOperation, Subscribers, dropPolicy: false);

    [GlobalSetup(Target = nameof(FanoutBarsOn))]
    public void SetUpBarsOn() => _rig = new FanoutRig(QuotesPerOperation, Subscribers, dropPolicy: false, bars: true);

    [GlobalSetup(Target = nameof(FanoutBarsOnSubscribed))]
    public void SetUpBarsSubscribed() =>
        _rig = new FanoutRig(QuotesPerOperation, Subscribers, dropPolicy: false, bars: true, barSessions: Subscribers);

    [GlobalCleanup]
    public void CleanUp() => _rig?.Dispose();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public int BookTrade()
    {
        var changed = 0;
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            // The volume grows with the quote number, which every symbol shares: each quote is a trade.
            var quote = SampleQuotes.Event(symbolId, _quoteNumber++);
            changed |= _book!.OnQuote(quote);
        }

        return changed;
    }

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public int BookNoTrade()
    {
        var changed = 0;
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            changed |= _book!.OnQuote(_unchanged[symbolId]);
        }

        return changed;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = QuotesPerOperation)]
    public void FanoutBarsOff() => PublishAll();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void FanoutBarsOn() => PublishAll();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void FanoutBarsOnSubscribed() => PublishAll();

    private void PublishAll()
    {
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            _rig!.Publish(symbolId, endOfBatch: false);
        }
    }
}
