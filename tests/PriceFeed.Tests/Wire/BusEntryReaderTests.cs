using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Wire;

/// <summary>The bus envelope (proto/pricefeed.bus.v1.proto) read in place by <see cref="QuoteWireReader.TryReadBusEntry"/>,
/// against bytes written by the generated class.</summary>
public sealed class BusEntryReaderTests
{
    private static BusEntry Entry(ulong prevMs = 41, ulong prevSeq = 2) => new()
    {
        Epoch = "pub-mf3k2x1a-0badf00d",
        IdMs = 1_796_280_671_623,
        IdSeq = 3,
        PrevMs = prevMs,
        PrevSeq = prevSeq,
        Batch = new QuoteBatch { Quotes = { new Quote { Symbol = "AAA", Seq = 7 }, new Quote { Symbol = "BBB", Seq = 9 } } }.ToByteString(),
    };

    [Fact]
    public void ReadsTheEpochTheIdsAndTheBatchAsSpans()
    {
        var entry = Entry();
        var bytes = entry.ToByteArray();

        Assert.True(QuoteWireReader.TryReadBusEntry(bytes, out var view));
        Assert.Equal(entry.Epoch, Encoding.UTF8.GetString(view.Epoch));
        Assert.Equal(new BusEntryId(1_796_280_671_623, 3), view.Id);
        Assert.Equal(new BusEntryId(41, 2), view.Previous);
        Assert.True(view.Batch.SequenceEqual(entry.Batch.Span));
        var position = 0;
        Assert.Equal(WireReadResult.Read, QuoteWireReader.NextBatchEntry(view.Batch, ref position, out var first));
        Assert.True(QuoteWireReader.TryReadQuote(first, out var quote, out var symbol));
        Assert.Equal(("AAA", 7ul), (Encoding.ASCII.GetString(symbol), quote.Seq));
    }

    [Fact]
    public void AnEpochsFirstEntryHasNoPreviousAndUnknownFieldsAreSkipped()
    {
        var bytes = Entry(prevMs: 0, prevSeq: 0).ToByteArray().Concat(new byte[] { (15 << 3) | 0, 0x2A }).ToArray();

        Assert.True(QuoteWireReader.TryReadBusEntry(bytes, out var view));
        Assert.True(view.Previous.IsNone);
    }

    [Fact]
    public void EveryTruncationIsRefusedOrReadsWithoutThrowingAndAnEntryWithoutAnIdIsRefused()
    {
        var bytes = Entry().ToByteArray();
        for (var length = 0; length < bytes.Length; length++)
        {
            // A cut at a field boundary is a shorter valid entry (fields are optional); anywhere else, malformed.
            if (QuoteWireReader.TryReadBusEntry(bytes.AsSpan(0, length), out var view))
            {
                Assert.False(view.Id.IsNone);
            }
        }

        Assert.False(QuoteWireReader.TryReadBusEntry(new BusEntry { Epoch = "pub-x", Batch = ByteString.CopyFromUtf8("") }.ToByteArray(), out _));
        // The epoch as a varint: the wrong wire type.
        Assert.False(QuoteWireReader.TryReadBusEntry(new byte[] { (1 << 3) | 0, 1, (2 << 3) | 0, 1 }, out _));
    }

    [Fact]
    public void ReadsAnEntryWithoutAllocating()
    {
        var bytes = Entry().ToByteArray();
        Assert.True(QuoteWireReader.TryReadBusEntry(bytes, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        ulong sum = 0;
        for (var i = 0; i < 1_000; i++)
        {
            QuoteWireReader.TryReadBusEntry(bytes, out var view);
            sum += view.Id.Seq + (ulong)view.Batch.Length;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }
}
