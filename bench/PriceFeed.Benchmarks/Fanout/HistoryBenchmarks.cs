using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// What the resume history costs the fan-out thread per quote: <c>SymbolHistory.Append</c> alone, and the whole
/// <c>QuoteFanoutHandler.OnEvent</c> with 10 subscribers (conflate) with the history at the default depth and without.
/// </summary>
/// <remarks>
/// <para>Times and allocations are per quote (64 quotes on 64 symbols per operation). Allocated must be 0 B.</para>
/// <para>Measured (issue 15, 2 shared cores, <c>--filter '*History*' --job short</c>): Append 57 ns, the fan-out with the
/// history 268 ns against 93 ns without, all 0 B. Entries then also held the quote (235 bytes); with the seq alone
/// (155 bytes): Append 43 ns, the fan-out 269 ns against 117 ns without, all 0 B (short jobs, wide error bars). The
/// history's 10 MB here (64 symbols x 1,024 x 155 bytes) does not stay in cache, so each append writes cold lines;
/// at the default 10,000 quotes/s that is under 2 ms of CPU a second.</para>
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "The rig is disposed by GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class HistoryBenchmarks
{
    private const int QuotesPerOperation = 64;
    private const int Depth = 1024; // the --resume-depth default

    private SymbolHistory? _history;
    private QuoteEvent[] _quotes = [];
    private byte[][] _entries = [];
    private FanoutRig? _rig;

    [GlobalSetup(Target = nameof(Append))]
    public void SetUpAppend()
    {
        var symbols = SampleQuotes.Symbols(QuotesPerOperation);
        _history = new SymbolHistory(Depth, symbols);
        _quotes = Enumerable.Range(0, QuotesPerOperation).Select(id => SampleQuotes.Event(id, id)).ToArray();
        _entries = _quotes.Select(quote =>
        {
            var entry = new byte[QuoteEncoder.MaxEntryBytes];
            return entry[..QuoteEncoder.WriteBatchEntry(quote, symbols.GetUtf8Name(quote.SymbolId), entry)];
        }).ToArray();
    }

    [GlobalSetup(Target = nameof(FanoutWithHistory))]
    public void SetUpWithHistory() => _rig = new FanoutRig(QuotesPerOperation, sessions: 10, dropPolicy: false, resumeDepth: Depth);

    [GlobalSetup(Target = nameof(FanoutWithoutHistory))]
    public void SetUpWithoutHistory() => _rig = new FanoutRig(QuotesPerOperation, sessions: 10, dropPolicy: false);

    [GlobalCleanup]
    public void CleanUp() => _rig?.Dispose();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void Append()
    {
        for (var i = 0; i < QuotesPerOperation; i++)
        {
            _quotes[i].Seq++;
            _history!.Append(_quotes[i], _entries[i]);
        }
    }

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void FanoutWithHistory() => PublishAll();

    [Benchmark(Baseline = true, OperationsPerInvoke = QuotesPerOperation)]
    public void FanoutWithoutHistory() => PublishAll();

    private void PublishAll()
    {
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            _rig!.Publish(symbolId, endOfBatch: false);
        }
    }
}
