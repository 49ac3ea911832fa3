using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using PriceFeed.Benchmarks.Codecs;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Benchmarks.Fanout;

/// <summary>
/// What the fan-out thread pays per quote with N subscribers: <c>QuoteFanoutHandler.OnEvent</c>
/// (encode once, last-value cache, offer to each subscriber's send queue) under each policy, against
/// the plain broadcaster's per-quote work (build and serialize the message, write it to N bounded
/// DropOldest channels: the baseline).
/// </summary>
/// <remarks>
/// <para>Times and allocations are per quote (64 quotes on 64 symbols per operation). The
/// clients never drain here, so this is the steady state of the offer itself: under <c>conflate</c>
/// each subscription is already pending and the offer conflates; under <c>drop</c> each offer
/// writes the client's FIFO, overwriting its oldest entry. The enqueue-then-drain cycle is
/// <see cref="SendQueueBenchmarks"/>. Allocated must be 0 B for ours.</para>
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[SuppressMessage("Design", "CA1001", Justification = "The rig is disposed by GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class FanoutHandlerBenchmarks
{
    private const int QuotesPerOperation = 64;

    private FanoutRig? _rig;
    private Channel<byte[]>[] _channels = [];
    private string[] _names = [];
    private long _quoteNumber;

    [Params(1, 10, 100)]
    public int Subscribers { get; set; }

    [GlobalSetup(Target = nameof(Conflate))]
    public void SetUpConflate() => _rig = new FanoutRig(QuotesPerOperation, Subscribers, dropPolicy: false);

    [GlobalSetup(Target = nameof(Drop))]
    public void SetUpDrop() => _rig = new FanoutRig(QuotesPerOperation, Subscribers, dropPolicy: true);

    [GlobalSetup(Target = nameof(BaselineChannels))]
    public void SetUpBaseline()
    {
        var symbols = SampleQuotes.Symbols(QuotesPerOperation);
        _names = Enumerable.Range(0, QuotesPerOperation).Select(symbols.GetName).ToArray();
        _channels = Enumerable.Range(0, Subscribers)
            .Select(_ => Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }))
            .ToArray();
    }

    [GlobalCleanup]
    public void CleanUp() => _rig?.Dispose();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void Conflate() => PublishAll();

    [Benchmark(OperationsPerInvoke = QuotesPerOperation)]
    public void Drop() => PublishAll();

    [Benchmark(Baseline = true, OperationsPerInvoke = QuotesPerOperation)]
    public void BaselineChannels()
    {
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            var quote = SampleQuotes.Event(symbolId, _quoteNumber++);
            var message = new ServerMessage { Quotes = new QuoteBatch { Quotes = { SampleQuotes.Message(quote, _names[symbolId]) } } }.ToByteArray();
            foreach (var channel in _channels)
            {
                channel.Writer.TryWrite(message);
            }
        }
    }

    private void PublishAll()
    {
        for (var symbolId = 0; symbolId < QuotesPerOperation; symbolId++)
        {
            _rig!.Publish(symbolId, endOfBatch: false);
        }
    }
}
