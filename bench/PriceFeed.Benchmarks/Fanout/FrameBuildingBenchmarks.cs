using BenchmarkDotNet.Attributes;
using DotNetty.Buffers;
using Google.Protobuf;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Transport;
using PriceFeed.Server.Wire;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// Building one client's <c>quotes</c> message of K quotes: by concatenating the entries encoded
/// once at fan-out (copied from the last-value cache into a pooled buffer, header prepended in
/// reserved bytes, as <c>ClientSession</c> does) against serializing a <c>QuoteBatch</c> per client
/// with Google.Protobuf from the latest quote objects (baseline).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FrameBuildingBenchmarks
{
    private const int Symbols = 100;
    private const int HeaderReserve = QuoteEncoder.MaxMessageHeaderBytes;

    private readonly LastValueCache _cache = new(Symbols);
    private readonly Quote[] _messages = new Quote[Symbols];

    [Params(1, 10, 100)]
    public int QuotesPerFrame { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        var symbols = SampleQuotes.Symbols(Symbols);
        var entry = new byte[QuoteEncoder.MaxEntryBytes];
        for (var symbolId = 0; symbolId < Symbols; symbolId++)
        {
            var quote = SampleQuotes.Event(symbolId, symbolId);
            var length = QuoteEncoder.WriteBatchEntry(quote, symbols.GetUtf8Name(symbolId), entry);
            _cache.Write(quote, entry.AsSpan(0, length));
            _messages[symbolId] = SampleQuotes.Message(quote, symbols.GetName(symbolId));
        }
    }

    [Benchmark]
    public int Concatenate()
    {
        var frame = PooledByteBufferAllocator.Default.Buffer(4 * 1024);
        frame.SetWriterIndex(HeaderReserve);
        for (var symbolId = 0; symbolId < QuotesPerFrame; symbolId++)
        {
            var length = _cache.CopyEntry(symbolId, ByteBuffers.WritableSpan(frame, QuoteEncoder.MaxEntryBytes), out _, out _);
            frame.SetWriterIndex(frame.WriterIndex + length);
        }

        var bodyLength = frame.WriterIndex - HeaderReserve;
        var start = HeaderReserve - QuoteEncoder.MessageHeaderLength(bodyLength);
        frame.SetWriterIndex(start);
        QuoteEncoder.WriteMessageHeader(ByteBuffers.WritableSpan(frame, HeaderReserve - start), QuoteEncoder.TagQuotes, bodyLength);
        frame.SetWriterIndex(HeaderReserve + bodyLength);
        frame.SetReaderIndex(start);
        var size = frame.ReadableBytes;
        frame.Release();
        return size;
    }

    [Benchmark(Baseline = true)]
    public int SerializeQuoteBatch()
    {
        var batch = new QuoteBatch();
        for (var symbolId = 0; symbolId < QuotesPerFrame; symbolId++)
        {
            batch.Quotes.Add(_messages[symbolId]);
        }

        return new ServerMessage { Quotes = batch }.ToByteArray().Length;
    }
}
