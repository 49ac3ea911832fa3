using HdrHistogram;
using Google.Protobuf;
using PriceFeed.LoadTest.Clients;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Bench;

/// <summary>The load tool's in-place QuoteBatch reader: quotes and send_time_ns in one pass, whatever the field order.</summary>
public sealed class QuoteBatchReaderTests
{
    private const long SendTimeNs = 1_765_000_000_123_456_789;

    private static readonly Quote[] s_quotes =
    [
        new() { Symbol = "AAPL", Seq = 7, SourceTimeNs = 1_765_000_000_000_000_100, PublishTimeNs = 1_765_000_000_000_000_200, Bid = 1.5, Ask = 1.6 },
        new() { Symbol = "MSFT", Seq = 9, SourceTimeNs = 1_765_000_000_000_000_300, PublishTimeNs = 1_765_000_000_000_000_400, Volume = 12 },
    ];

    public enum Placement
    {
        AfterTheQuotes,
        BeforeTheQuotes,
        BetweenTheQuotes,
    }

    [Theory]
    [InlineData(Placement.AfterTheQuotes)]
    [InlineData(Placement.BeforeTheQuotes)]
    [InlineData(Placement.BetweenTheQuotes)]
    public void ReadsEveryQuoteAndTheSendTimeWhereverItComes(Placement placement)
    {
        var (quotes, sendTimeNs) = ReadAll(Encode(placement));

        Assert.Equal(SendTimeNs, sendTimeNs);
        Assert.Equal(s_quotes.Select(q => (q.Symbol, q.Seq, q.SourceTimeNs, q.PublishTimeNs)), quotes);
    }

    [Fact]
    public void SendTimeIsZeroWhenTheServerDoesNotStampIt()
    {
        var (quotes, sendTimeNs) = ReadAll(new QuoteBatch { Quotes = { s_quotes } }.ToByteArray());

        Assert.Equal(0, sendTimeNs);
        Assert.Equal(s_quotes.Length, quotes.Count);
    }

    [Fact]
    public void RecorderSplitsEachQuoteAtASendTimeThatCameAfterIt()
    {
        var shard = new LatencyRecorder(1).For(0);
        const long receivedNs = SendTimeNs + 50_000;

        lock (shard.Lock)
        {
            shard.BeginMessage();
            foreach (var quote in s_quotes)
            {
                shard.Record(receivedNs, quote.PublishTimeNs, quote.SourceTimeNs);
            }

            shard.EndMessage(receivedNs, SendTimeNs);
        }

        Assert.Equal(s_quotes.Length, shard.ServerSide.TotalCount);
        Assert.Equal(SendTimeNs - s_quotes[0].PublishTimeNs, shard.ServerSide.GetMaxValue(), tolerance: (SendTimeNs - s_quotes[0].PublishTimeNs) / 1000.0);
        Assert.Equal(s_quotes.Length, shard.Network.TotalCount);
        Assert.Equal(50_000, shard.Network.GetMaxValue(), tolerance: 50);
    }

    [Fact]
    public void RecorderLeavesTheSplitEmptyWithoutASendTime()
    {
        var shard = new LatencyRecorder(1).For(0);

        lock (shard.Lock)
        {
            shard.BeginMessage();
            shard.Record(SendTimeNs, s_quotes[0].PublishTimeNs, s_quotes[0].SourceTimeNs);
            shard.EndMessage(SendTimeNs, sendTimeNs: 0);
        }

        Assert.Equal(1, shard.FromPublish.TotalCount);
        Assert.Equal(0, shard.ServerSide.TotalCount);
        Assert.Equal(0, shard.Network.TotalCount);
    }

    // Concatenated messages parse as one (protobuf's merge rule), which places the send time anywhere.
    private static byte[] Encode(Placement placement)
    {
        var stamp = new QuoteBatch { SendTimeNs = SendTimeNs }.ToByteArray();
        return placement switch
        {
            // Google.Protobuf writes fields in number order, as our server does.
            Placement.AfterTheQuotes => new QuoteBatch { Quotes = { s_quotes }, SendTimeNs = SendTimeNs }.ToByteArray(),
            Placement.BeforeTheQuotes => [.. stamp, .. new QuoteBatch { Quotes = { s_quotes } }.ToByteArray()],
            _ => [.. new QuoteBatch { Quotes = { s_quotes[0] } }.ToByteArray(), .. stamp, .. new QuoteBatch { Quotes = { s_quotes[1] } }.ToByteArray()],
        };
    }

    private static (List<(string Symbol, ulong Seq, long SourceTimeNs, long PublishTimeNs)> Quotes, long SendTimeNs) ReadAll(byte[] batch)
    {
        var quotes = new List<(string, ulong, long, long)>();
        var reader = new QuoteBatchReader(batch);
        while (reader.TryReadQuote(out var quote))
        {
            quotes.Add((System.Text.Encoding.UTF8.GetString(quote.Symbol), quote.Seq, quote.SourceTimeNs, quote.PublishTimeNs));
        }

        return (quotes, reader.SendTimeNs);
    }
}
