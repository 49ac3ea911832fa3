using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Wire;

/// <summary>The bus decoder against what Google.Protobuf writes: every field, defaults, unknown fields, damaged input.</summary>
public sealed class QuoteWireReaderTests
{
    private static Quote FullQuote(string symbol, ulong seq) => new()
    {
        Symbol = symbol,
        Seq = seq,
        SourceTimeNs = 1_790_000_000_123_456_789,
        PublishTimeNs = 0,
        Bid = 101.25,
        Ask = 101.5,
        BidSize = 300,
        AskSize = 500,
        Last = 101.375,
        LastSize = 100,
        Volume = 123_456_789,
    };

    private static List<(string Symbol, Server.Quotes.QuoteEvent Quote)> ReadAll(byte[] batch)
    {
        var read = new List<(string, Server.Quotes.QuoteEvent)>();
        var position = 0;
        while (true)
        {
            var result = QuoteWireReader.NextBatchEntry(batch, ref position, out var bytes);
            if (result == WireReadResult.End)
            {
                return read;
            }

            Assert.Equal(WireReadResult.Read, result);
            Assert.True(QuoteWireReader.TryReadQuote(bytes, out var quote, out var symbol));
            read.Add((System.Text.Encoding.ASCII.GetString(symbol), quote));
        }
    }

    [Fact]
    public void ReadsEveryFieldOfEveryQuoteInABatch()
    {
        var batch = new QuoteBatch { Quotes = { FullQuote("AAPL", 1), FullQuote("MSFT", 2), FullQuote("Z", ulong.MaxValue) } };

        var read = ReadAll(batch.ToByteArray());

        Assert.Equal(["AAPL", "MSFT", "Z"], read.Select(r => r.Symbol));
        foreach (var (expected, (_, actual)) in batch.Quotes.Zip(read))
        {
            Assert.Equal(expected.Seq, actual.Seq);
            Assert.Equal(expected.SourceTimeNs, actual.SourceTimeNs);
            Assert.Equal(expected.Bid, actual.Bid);
            Assert.Equal(expected.Ask, actual.Ask);
            Assert.Equal(expected.BidSize, actual.BidSize);
            Assert.Equal(expected.AskSize, actual.AskSize);
            Assert.Equal(expected.Last, actual.Last);
            Assert.Equal(expected.LastSize, actual.LastSize);
            Assert.Equal(expected.Volume, actual.Volume);
        }
    }

    [Fact]
    public void ReadsNegativeTimesAndLeavesFieldsThatAreLeftOutAtZero()
    {
        var quote = new Quote { Symbol = "NEG", Seq = 7, SourceTimeNs = -5 };

        Assert.True(QuoteWireReader.TryReadQuote(quote.ToByteArray(), out var read, out var symbol));

        Assert.Equal("NEG"u8.ToArray(), symbol.ToArray());
        Assert.Equal((7ul, -5L, 0d, 0ul), (read.Seq, read.SourceTimeNs, read.Bid, read.Volume));
    }

    [Fact]
    public void SkipsFieldsItDoesNotKnow()
    {
        // A later publisher may add fields (docs/protocol.md, "Changes to the protocol": new fields with new numbers); older nodes must read on.
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(99, WireFormat.WireType.Varint);
        output.WriteUInt64(12345);
        output.WriteTag(100, WireFormat.WireType.LengthDelimited);
        output.WriteString("future");
        output.WriteTag(101, WireFormat.WireType.Fixed32);
        output.WriteFixed32(1);
        output.WriteTag(102, WireFormat.WireType.Fixed64);
        output.WriteFixed64(2);
        output.Flush();
        var quote = FullQuote("AAA", 3).ToByteArray().Concat(stream.ToArray()).ToArray();
        var batch = new QuoteBatch { Quotes = { FullQuote("BBB", 4) } }.ToByteArray().Concat(stream.ToArray()).ToArray();

        Assert.True(QuoteWireReader.TryReadQuote(quote, out var read, out _));
        Assert.Equal(3ul, read.Seq);
        Assert.Equal(["BBB"], ReadAll(batch).Select(r => r.Symbol));
    }

    [Fact]
    public void ReportsEveryTruncationOfABatchAsMalformedOrAShorterBatchWithoutThrowing()
    {
        var batch = new QuoteBatch { Quotes = { FullQuote("AAPL", 1), FullQuote("MSFT", 2) } }.ToByteArray();

        for (var length = 0; length < batch.Length; length++)
        {
            var prefix = batch.AsSpan(0, length);
            var position = 0;
            var quotes = 0;
            WireReadResult result;
            while ((result = QuoteWireReader.NextBatchEntry(prefix, ref position, out var bytes)) == WireReadResult.Read)
            {
                Assert.True(QuoteWireReader.TryReadQuote(bytes, out _, out _));
                quotes++;
            }

            // A cut inside an entry is malformed; a cut between entries is a shorter, valid batch.
            Assert.True(result == WireReadResult.Malformed || quotes < 2, $"prefix of {length} bytes");
        }
    }

    [Fact]
    public void DecodesABatchAndMapsItsSymbolsWithoutAllocating()
    {
        var batch = new QuoteBatch();
        for (var i = 0; i < 500; i++)
        {
            batch.Quotes.Add(FullQuote("SYM" + (i % 50).ToString(System.Globalization.CultureInfo.InvariantCulture), (ulong)i + 1));
        }

        var bytes = batch.ToByteArray();
        var cache = new SymbolCache(new Server.Quotes.SymbolTable(64));
        var checksum = DecodeAll(bytes, cache); // first sight of each symbol: interned, strings made

        var before = GC.GetAllocatedBytesForCurrentThread();
        checksum += DecodeAll(bytes, cache);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2 * 500 * 501 / 2, checksum);
    }

    private static long DecodeAll(byte[] batch, SymbolCache cache)
    {
        long seqs = 0;
        var position = 0;
        while (QuoteWireReader.NextBatchEntry(batch, ref position, out var bytes) == WireReadResult.Read)
        {
            Assert.True(QuoteWireReader.TryReadQuote(bytes, out var quote, out var symbol));
            Assert.True(cache.TryGetId(symbol, out _));
            seqs += (long)quote.Seq;
        }

        return seqs;
    }

    [Fact]
    public void RefusesAFieldWithTheWrongWireType()
    {
        // Field 2 (seq) as length-delimited instead of a varint.
        byte[] quote = [(2 << 3) | 2, 1, 0];

        Assert.False(QuoteWireReader.TryReadQuote(quote, out _, out _));
    }

    [Fact]
    public void RefusesAVarintLongerThanTenBytes()
    {
        byte[] quote = [2 << 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];

        Assert.False(QuoteWireReader.TryReadQuote(quote, out _, out _));
    }
}
