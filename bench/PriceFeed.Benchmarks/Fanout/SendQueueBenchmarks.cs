using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// One client's send-queue cycle: K quotes offered (each to a symbol with nothing pending), the
/// drain woken once at the end of the batch, one <c>quotes</c> frame built, encoded and written;
/// under <c>conflate</c> and <c>drop</c>, against the plain broadcaster's queue (serialize each
/// quote, write it to a bounded DropOldest channel, read it back: the baseline).
/// </summary>
/// <remarks>
/// An operation is one batch, so the allocation column is per frame: the same for K = 1 and K = 128
/// means offering and enqueueing allocate nothing and the frame's write is all there is.
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "The rig is disposed by GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class SendQueueBenchmarks
{
    private const int Symbols = 128;

    private FanoutRig? _rig;
    private Channel<byte[]> _channel = null!;
    private string[] _names = [];
    private long _quoteNumber;

    [Params(1, 16, 128)]
    public int QuotesPerDrain { get; set; }

    [GlobalSetup(Target = nameof(Conflate))]
    public void SetUpConflate() => _rig = new FanoutRig(Symbols, sessions: 1, dropPolicy: false);

    [GlobalSetup(Target = nameof(Drop))]
    public void SetUpDrop() => _rig = new FanoutRig(Symbols, sessions: 1, dropPolicy: true);

    [GlobalSetup(Target = nameof(BaselineChannel))]
    public void SetUpBaseline()
    {
        var symbols = SampleQuotes.Symbols(Symbols);
        _names = Enumerable.Range(0, Symbols).Select(symbols.GetName).ToArray();
        _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    }

    [GlobalCleanup]
    public void CleanUp() => _rig?.Dispose();

    [Benchmark]
    public long Conflate() => OfferAndDrain();

    [Benchmark]
    public long Drop() => OfferAndDrain();

    [Benchmark(Baseline = true)]
    public long BaselineChannel()
    {
        for (var symbolId = 0; symbolId < QuotesPerDrain; symbolId++)
        {
            var quote = SampleQuotes.Event(symbolId, _quoteNumber++);
            _channel.Writer.TryWrite(new ServerMessage { Quotes = new QuoteBatch { Quotes = { SampleQuotes.Message(quote, _names[symbolId]) } } }.ToByteArray());
        }

        long written = 0;
        while (_channel.Reader.TryRead(out var message))
        {
            written += message.Length;
        }

        return written;
    }

    private long OfferAndDrain()
    {
        for (var symbolId = 0; symbolId < QuotesPerDrain; symbolId++)
        {
            _rig!.Publish(symbolId, endOfBatch: symbolId == QuotesPerDrain - 1);
        }

        return _rig!.RunDrains();
    }
}
