using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Sources;
using PriceFeed.Server.Wire;

namespace PriceFeed.Benchmarks.Codecs;

/// <summary>
/// What encoding one quote costs: our hand-written batch entry (from the ring's struct, into a
/// reused buffer) against Google.Protobuf writing the same message into a span (baseline) and
/// what the plain broadcaster does per quote (build the message object, serialize to a new array).
/// </summary>
/// <remarks>The three produce the same bytes (QuoteEncoderTests pins it); ours adds the 3-byte batch-entry prefix.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class QuoteEncodingBenchmarks
{
    private readonly byte[] _destination = new byte[QuoteEncoder.MaxEntryBytes];
    private SymbolTable _symbols = null!;
    private QuoteEvent _quote;
    private Quote _message = null!;

    [GlobalSetup]
    public void SetUp()
    {
        _symbols = SampleQuotes.Symbols(1);
        _quote = SampleQuotes.Event(0, 12_345);
        _message = SampleQuotes.Message(_quote, _symbols.GetName(0));
    }

    [Benchmark]
    public int WriteBatchEntry() => QuoteEncoder.WriteBatchEntry(_quote, _symbols.GetUtf8Name(0), _destination);

    [Benchmark(Baseline = true)]
    public int ProtobufWriteTo()
    {
        var span = _destination.AsSpan(0, _message.CalculateSize());
        _message.WriteTo(span);
        return span.Length;
    }

    [Benchmark]
    public int NewMessageToByteArray() => SampleQuotes.Message(_quote, _symbols.GetName(0)).ToByteArray().Length;
}
