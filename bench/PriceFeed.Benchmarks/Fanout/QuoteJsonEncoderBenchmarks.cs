using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Wire;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// What encoding one quote costs the fan-out thread: the protobuf entry it always writes (the
/// baseline), the JSON entry it adds while a JSON client is subscribed, and Google.Protobuf's
/// <c>JsonFormatter</c> producing the same text, which is what per-client serialization would cost.
/// </summary>
/// <remarks>The two entry encoders must show <c>Allocated = 0 B</c>; the formatter allocates a message and a string.</remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class QuoteJsonEncoderBenchmarks
{
    private static readonly byte[] s_symbol = "AAPL"u8.ToArray();

    private readonly byte[] _destination = new byte[QuoteJsonEncoder.MaxEntryBytes];
    private QuoteEvent _quote;

    [GlobalSetup]
    public void Setup() => _quote = new QuoteEvent
    {
        Seq = 1_234_567, SourceTimeNs = 1_795_486_055_362_947_900, PublishTimeNs = 1_795_486_055_365_825_300,
        Bid = 187.42, Ask = 187.45, BidSize = 300, AskSize = 500, Last = 187.44, LastSize = 100, Volume = 48_213_700,
    };

    [Benchmark(Baseline = true)]
    public int ProtobufEntry() => QuoteEncoder.WriteBatchEntry(_quote, s_symbol, _destination);

    [Benchmark]
    public int JsonEntry() => QuoteJsonEncoder.WriteEntry(_quote, s_symbol, _destination);

    [Benchmark]
    public int JsonFormatterString()
    {
        var message = new Quote
        {
            Symbol = Encoding.ASCII.GetString(s_symbol), Seq = _quote.Seq, SourceTimeNs = _quote.SourceTimeNs,
            PublishTimeNs = _quote.PublishTimeNs, Bid = _quote.Bid, Ask = _quote.Ask, BidSize = _quote.BidSize,
            AskSize = _quote.AskSize, Last = _quote.Last, LastSize = _quote.LastSize, Volume = _quote.Volume,
        };
        return JsonFormatter.Default.Format(message).Length;
    }
}
