using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;

namespace PriceFeed.Benchmarks.Ring;

/// <summary>
/// How many quotes a second one producer can hand to one consumer thread: the quote ring, one
/// at a time and in batches, against what .NET offers (channels, BlockingCollection).
/// </summary>
/// <remarks>
/// Each operation sends <see cref="EventsPerOperation"/> quotes (<c>OperationsPerInvoke</c>,
/// so times are per quote) and waits until the consumer has seen the last one. The consumer
/// hashes every quote in order and the operation throws unless the hash is right, so a fast
/// but wrong transport cannot pass. The consumer runs for the whole benchmark, started in
/// the setup; the benchmark's thread is the producer. The baseline is the fastest channel
/// measured here, the unbounded one with a single reader and writer; note that it has no
/// back-pressure, unlike the ring and the bounded channel.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(RingThroughputConfig))]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
[SuppressMessage("Design", "CA1001", Justification = "The BlockingCollection is disposed by its GlobalCleanup, BenchmarkDotNet's end of life for it.")]
public class RingThroughputBenchmarks
{
    /// <summary>Quotes per operation: enough that the start and end of an operation do not count.</summary>
    public const int EventsPerOperation = 10_000_000;


    /// <summary>Slots in the ring, and the bound of the bounded channel and the BlockingCollection
    /// (88-byte quotes: 1.4 MiB and 5.6 MiB). Smaller rings measured slower here: the
    /// producer waits on the consumer more often.</summary>
    [Params(16384, 65536)]
    public int Capacity { get; set; }

    private readonly ulong _expectedChecksum = QuoteChecksum.Expected(EventsPerOperation);
    private QuoteChecksum _checksum = null!;
    private RingBuffer<QuoteEvent> _ring = null!;
    private BatchEventProcessor<QuoteEvent> _processor = null!;
    private Channel<QuoteEvent> _channel = null!;
    private Task _channelConsumer = null!;
    private BlockingCollection<QuoteEvent> _blockingCollection = null!;
    private Thread _blockingCollectionConsumer = null!;

    [GlobalSetup(Targets = [nameof(RingOneAtATime), nameof(RingBatch64), nameof(RingBatch256)])]
    public void SetUpRing()
    {
        _checksum = new QuoteChecksum(EventsPerOperation);
        _ring = new RingBuffer<QuoteEvent>(Capacity, WaitStrategies.Create(WaitStrategies.Default));
        _processor = new BatchEventProcessor<QuoteEvent>(_ring, _ring.NewBarrier(), new ChecksumQuoteHandler(_checksum));
        _ring.AddGatingSequences(_processor.Sequence);
        _processor.Start("ring benchmark consumer");
    }

    [GlobalCleanup(Targets = [nameof(RingOneAtATime), nameof(RingBatch64), nameof(RingBatch256)])]
    public void CleanUpRing()
    {
        if (!_processor.HaltAndWait(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("The ring's consumer did not stop.");
        }
    }

    [GlobalSetup(Target = nameof(ChannelBoundedSingleReaderWriter))]
    public void SetUpBoundedChannel() => StartChannel(Channel.CreateBounded<QuoteEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));

    [GlobalSetup(Target = nameof(ChannelUnboundedSingleReaderWriter))]
    public void SetUpUnboundedSingleChannel() => StartChannel(Channel.CreateUnbounded<QuoteEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }));

    [GlobalSetup(Target = nameof(ChannelUnbounded))]
    public void SetUpUnboundedChannel() => StartChannel(Channel.CreateUnbounded<QuoteEvent>());

    [GlobalCleanup(Targets = [nameof(ChannelBoundedSingleReaderWriter), nameof(ChannelUnboundedSingleReaderWriter), nameof(ChannelUnbounded)])]
    public void CleanUpChannel()
    {
        _channel.Writer.Complete();
        _channelConsumer.GetAwaiter().GetResult();
    }

    [GlobalSetup(Target = nameof(BlockingCollectionBounded))]
    public void SetUpBlockingCollection()
    {
        _checksum = new QuoteChecksum(EventsPerOperation);
        _blockingCollection = new BlockingCollection<QuoteEvent>(Capacity);
        _blockingCollectionConsumer = new Thread(() =>
        {
            foreach (var quote in _blockingCollection.GetConsumingEnumerable())
            {
                _checksum.Accept(in quote);
            }
        })
        { Name = "BlockingCollection benchmark consumer", IsBackground = true };
        _blockingCollectionConsumer.Start();
    }

    [GlobalCleanup(Target = nameof(BlockingCollectionBounded))]
    public void CleanUpBlockingCollection()
    {
        _blockingCollection.CompleteAdding();
        _blockingCollectionConsumer.Join();
        _blockingCollection.Dispose();
    }

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "Ring, one at a time")]
    public void RingOneAtATime()
    {
        long completed = _checksum.CompletedOperations + 1;
        var ring = _ring;
        for (long seq = 0; seq < EventsPerOperation; seq++)
        {
            long sequence = ring.Next();
            QuoteChecksum.Fill(ref ring[sequence], seq);
            ring.Publish(sequence);
        }

        _checksum.WaitForOperation(completed, _expectedChecksum);
    }

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "Ring, batches of 64")]
    public void RingBatch64() => PublishInBatches(64);

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "Ring, batches of 256")]
    public void RingBatch256() => PublishInBatches(256);

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "Channel, bounded, single reader/writer")]
    public void ChannelBoundedSingleReaderWriter() => WriteToChannel();

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Baseline = true, Description = "Channel, unbounded, single reader/writer")]
    public void ChannelUnboundedSingleReaderWriter() => WriteToChannel();

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "Channel, unbounded")]
    public void ChannelUnbounded() => WriteToChannel();

    [Benchmark(OperationsPerInvoke = EventsPerOperation, Description = "BlockingCollection, bounded")]
    public void BlockingCollectionBounded()
    {
        long completed = _checksum.CompletedOperations + 1;
        var collection = _blockingCollection;
        for (long seq = 0; seq < EventsPerOperation; seq++)
        {
            var quote = default(QuoteEvent);
            QuoteChecksum.Fill(ref quote, seq);
            collection.Add(quote);
        }

        _checksum.WaitForOperation(completed, _expectedChecksum);
    }

    private static async Task ConsumeAsync(ChannelReader<QuoteEvent> reader, QuoteChecksum checksum)
    {
        // The documented fast consumer: one await per burst, then drain without awaiting.
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var quote))
            {
                checksum.Accept(in quote);
            }
        }
    }

    private static void WaitToWrite(ChannelWriter<QuoteEvent> writer)
    {
        // Only when a bounded channel is full. A synchronous producer has to block here.
        if (!writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("The channel was completed during the benchmark.");
        }
    }

    private void StartChannel(Channel<QuoteEvent> channel)
    {
        _checksum = new QuoteChecksum(EventsPerOperation);
        _channel = channel;
        _channelConsumer = Task.Run(() => ConsumeAsync(channel.Reader, _checksum));
    }

    private void PublishInBatches(int batchSize)
    {
        long completed = _checksum.CompletedOperations + 1;
        var ring = _ring;
        long seq = 0;
        while (seq < EventsPerOperation)
        {
            int n = (int)Math.Min(batchSize, EventsPerOperation - seq);
            long hi = ring.Next(n);
            long lo = hi - n + 1;
            for (long sequence = lo; sequence <= hi; sequence++)
            {
                QuoteChecksum.Fill(ref ring[sequence], seq++);
            }

            ring.Publish(lo, hi);
        }

        _checksum.WaitForOperation(completed, _expectedChecksum);
    }

    private void WriteToChannel()
    {
        long completed = _checksum.CompletedOperations + 1;
        var writer = _channel.Writer;
        for (long seq = 0; seq < EventsPerOperation; seq++)
        {
            var quote = default(QuoteEvent);
            QuoteChecksum.Fill(ref quote, seq);
            while (!writer.TryWrite(quote))
            {
                WaitToWrite(writer);
            }
        }

        _checksum.WaitForOperation(completed, _expectedChecksum);
    }
}
