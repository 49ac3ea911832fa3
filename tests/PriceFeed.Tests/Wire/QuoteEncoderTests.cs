using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Fanout;

namespace PriceFeed.Tests.Wire;

public sealed class QuoteEncoderTests
{
    private static readonly QuoteEvent[] s_quotes =
    [
        new() { Seq = 1, SourceTimeNs = 1_700_000_000_000_000_000, PublishTimeNs = 1_700_000_000_000_050_000, Bid = 101.25, Ask = 101.27, BidSize = 300, AskSize = 500, Last = 101.26, LastSize = 100, Volume = 1_234_567 },
        new() { Seq = ulong.MaxValue, SourceTimeNs = long.MaxValue, PublishTimeNs = long.MaxValue, Bid = double.MaxValue, Ask = double.Epsilon, Volume = ulong.MaxValue },
        new() { Seq = 127, SourceTimeNs = -1, PublishTimeNs = long.MinValue, Bid = -5, Ask = 0, Volume = 128 },
        new QuoteEvent(),
    ];

    public static TheoryData<int> Quotes => new(Enumerable.Range(0, s_quotes.Length));

    [Theory]
    [MemberData(nameof(Quotes))]
    public void EntryIsByteForByteWhatGoogleProtobufWrites(int index)
    {
        var quote = s_quotes[index];
        foreach (var symbol in new[] { "A", "AAPL", new string('Z', 32) })
        {
            var buffer = new byte[QuoteEncoder.MaxEntryBytes];
            var length = QuoteEncoder.WriteBatchEntry(quote, Encoding.ASCII.GetBytes(symbol), buffer);

            var expected = new QuoteBatch { Quotes = { QuoteMessages.ToMessage(quote, symbol) } }.ToByteArray();
            Assert.Equal(expected, buffer.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void LargestPossibleEntryFitsTheBound()
    {
        var quote = new QuoteEvent
        {
            Seq = ulong.MaxValue, SourceTimeNs = -1, PublishTimeNs = -1, Bid = 1, Ask = 1, BidSize = 1, AskSize = 1, Last = 1, LastSize = 1, Volume = ulong.MaxValue,
        };
        var buffer = new byte[QuoteEncoder.MaxEntryBytes];

        var length = QuoteEncoder.WriteBatchEntry(quote, Encoding.ASCII.GetBytes(new string('X', 32)), buffer);

        Assert.Equal(QuoteEncoder.MaxEntryBytes, length);
    }

    [Theory]
    [InlineData(QuoteEncoder.TagQuotes, 1)]
    [InlineData(QuoteEncoder.TagQuotes, 40)]
    [InlineData(QuoteEncoder.TagSnapshot, 3)]
    [InlineData(QuoteEncoder.TagQuotes, 1000)]
    public void ConcatenatedEntriesUnderAHeaderParseAsOneServerMessage(byte tag, int count)
    {
        var entries = new MemoryStream();
        var quotes = new List<Quote>();
        var scratch = new byte[QuoteEncoder.MaxEntryBytes];
        for (var i = 0; i < count; i++)
        {
            var q = new QuoteEvent { Seq = (ulong)i + 1, Bid = i, Ask = i + 0.5, Volume = (ulong)i * 10 };
            var symbol = $"S{i % 7}";
            entries.Write(scratch, 0, QuoteEncoder.WriteBatchEntry(q, Encoding.ASCII.GetBytes(symbol), scratch));
            quotes.Add(QuoteMessages.ToMessage(q, symbol));
        }

        var header = new byte[QuoteEncoder.MaxMessageHeaderBytes];
        var headerLength = QuoteEncoder.WriteMessageHeader(header, tag, (int)entries.Length);
        Assert.Equal(QuoteEncoder.MessageHeaderLength((int)entries.Length), headerLength);
        var frame = header.AsSpan(0, headerLength).ToArray().Concat(entries.ToArray()).ToArray();

        var message = ServerMessage.Parser.ParseFrom(frame);
        var batch = tag == QuoteEncoder.TagQuotes ? message.Quotes : message.Snapshot;
        Assert.Equal(tag == QuoteEncoder.TagQuotes ? ServerMessage.BodyOneofCase.Quotes : ServerMessage.BodyOneofCase.Snapshot, message.BodyCase);
        Assert.Equal(quotes, batch.Quotes);
    }

    [Theory]
    [InlineData(0ul, 1)]
    [InlineData(127ul, 1)]
    [InlineData(128ul, 2)]
    [InlineData(16_383ul, 2)]
    [InlineData(16_384ul, 3)]
    [InlineData(ulong.MaxValue, 10)]
    public void VarintLengthMatchesProtobuf(ulong value, int expected)
    {
        Assert.Equal(expected, QuoteEncoder.VarintLength(value));
        Assert.Equal(CodedOutputStream.ComputeUInt64Size(value), QuoteEncoder.VarintLength(value));
    }
}
