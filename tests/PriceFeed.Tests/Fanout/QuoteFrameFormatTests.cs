using DotNetty.Buffers;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Transport;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Fanout;

/// <summary>What every <see cref="QuoteFrameFormat"/> must do: entries copied into a frame, then sealed, read back as exactly those quotes.</summary>
/// <remarks>Frames are built as <see cref="ClientSession"/> builds them: the reserve, the entries back to back, then <c>Seal</c>.</remarks>
public abstract class QuoteFrameFormatTests : IDisposable
{
    private readonly byte[] _entry = new byte[QuoteEncoder.MaxEntryBytes];
    private readonly byte[] _jsonEntry = new byte[QuoteJsonEncoder.MaxEntryBytes];

    private protected QuoteFrameFormatTests()
    {
        Harness.Log.EnableJson();
        Harness.Cache.EnableJson();
    }

    private delegate int CopyEntry(int index, Span<byte> destination);

    /// <summary>Snapshot (true) or quotes, and how many entries.</summary>
    public static TheoryData<bool, int> KindsAndCounts => new()
    {
        { false, 1 }, { false, 2 }, { false, 200 },
        { true, 1 }, { true, 2 }, { true, 200 },
    };

    /// <summary>Snapshot (true) or quotes, and protobuf body lengths on either side of the steps of the header's varint (1, 2 then 3 bytes).</summary>
    public static TheoryData<bool, int> KindsAndBodyLengths => new()
    {
        { false, 127 }, { false, 128 }, { false, 16_383 }, { false, 16_384 },
        { true, 127 }, { true, 128 }, { true, 16_383 }, { true, 16_384 },
    };

    /// <summary>A send time of December 2025: a 9-byte varint (10 bytes with its tag), like any this decade.</summary>
    private const long SendTimeNs = 1_764_000_000_123_456_789;

    private protected FanoutHarness Harness { get; } = new(symbols: 16);

    /// <summary>What the frames under test are sealed with; a test may set 0 (no send time).</summary>
    private long _sendTimeNs = SendTimeNs;

    private protected abstract QuoteFrameFormat Format { get; }

    public void Dispose()
    {
        Harness.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [MemberData(nameof(KindsAndCounts))]
    public void LoggedEntriesMakeAFrameOfExactlyThoseQuotes(bool snapshot, int count)
    {
        var kind = Kind(snapshot);
        var quotes = Enumerable.Range(0, count).Select(i => (Harness.NextQuote(i % 16), FanoutHarness.SymbolName(i % 16))).ToList();

        AssertFrameHolds(FrameFromLog(kind, quotes), kind, quotes);
    }

    [Theory]
    [MemberData(nameof(KindsAndBodyLengths))]
    public void FramesWhoseProtobufBodyIsAroundAVarintStepParse(bool snapshot, int bodyLength)
    {
        var kind = Kind(snapshot);
        // The body is the entries and the send time after them.
        var quotes = QuotesWithProtobufBodyOf(bodyLength - QuoteEncoder.WriteBatchSendTime(new byte[QuoteEncoder.MaxSendTimeBytes], SendTimeNs));

        AssertFrameHolds(FrameFromLog(kind, quotes), kind, quotes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LatestEntriesMakeAFrameOfEachSymbolsNewestQuote(bool snapshot)
    {
        var kind = Kind(snapshot);
        var newest = new Dictionary<int, QuoteEvent>();
        foreach (var symbolId in new[] { 3, 0, 3, 7, 0, 3 })
        {
            newest[symbolId] = Harness.Publish(symbolId);
        }

        var frame = BuildFrame(kind, Harness.Symbols.Count, (symbolId, destination) => Format.CopyLatest(symbolId, destination, out _, out _));

        AssertFrameHolds(frame, kind, [.. newest.OrderBy(q => q.Key).Select(q => (q.Value, FanoutHarness.SymbolName(q.Key)))]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFrameSealedWithNoSendTimeLeavesTheFieldOut(bool snapshot)
    {
        var kind = Kind(snapshot);
        var quotes = Enumerable.Range(0, 3).Select(i => (Harness.NextQuote(i), FanoutHarness.SymbolName(i))).ToList();
        _sendTimeNs = 0;

        AssertFrameHolds(FrameFromLog(kind, quotes), kind, quotes);
    }

    /// <summary>Checks the layout beyond what a parser accepts (byte for byte what Google.Protobuf writes, for example).</summary>
    private protected abstract void AssertLayout(WebSocketFrame frame, ServerMessage expected);

    private static QuoteFrameKind Kind(bool snapshot) => snapshot ? QuoteFrameKind.Snapshot : QuoteFrameKind.Quotes;

    /// <summary>Quotes whose protobuf batch entries add up to exactly <paramref name="bodyLength"/> bytes (at least 7).</summary>
    private List<(QuoteEvent Quote, string Symbol)> QuotesWithProtobufBodyOf(int bodyLength)
    {
        // A quote with only a seq below 128 has an entry of 6 bytes plus its symbol (1 to 32 bytes).
        const int overhead = 6, longest = overhead + 32;
        var quotes = new List<(QuoteEvent, string)>();
        var remaining = bodyLength;
        while (remaining > 0)
        {
            var length = remaining > 2 * longest ? longest : remaining > longest ? remaining / 2 : remaining;
            var symbol = new string((char)('A' + (quotes.Count % 26)), length - overhead);
            quotes.Add((new QuoteEvent { Seq = (ulong)(quotes.Count % 127) + 1 }, symbol));
            remaining -= length;
        }

        Assert.Equal(bodyLength, quotes.Sum(q => QuoteEncoder.WriteBatchEntry(q.Item1, System.Text.Encoding.ASCII.GetBytes(q.Item2), _entry)));
        return quotes;
    }

    /// <summary>Logs <paramref name="quotes"/> in both encodings at sequences 0, 1, ... and frames them from the log.</summary>
    private WebSocketFrame FrameFromLog(QuoteFrameKind kind, List<(QuoteEvent Quote, string Symbol)> quotes)
    {
        for (var i = 0; i < quotes.Count; i++)
        {
            var (quote, symbol) = quotes[i];
            var utf8 = System.Text.Encoding.ASCII.GetBytes(symbol);
            var length = QuoteEncoder.WriteBatchEntry(quote, utf8, _entry);
            var jsonLength = QuoteJsonEncoder.WriteEntry(quote, utf8, _jsonEntry);
            Harness.Log.Append(i, quote.Seq, quote.PublishTimeNs, _entry.AsSpan(0, length), _jsonEntry.AsSpan(0, jsonLength));
        }

        return BuildFrame(kind, quotes.Count, (sequence, destination) => Format.CopyLogged(sequence, destination, out _, out _));
    }

    private WebSocketFrame BuildFrame(QuoteFrameKind kind, int count, CopyEntry copy)
    {
        var frame = UnpooledByteBufferAllocator.Default.Buffer(4096);
        frame.SetWriterIndex(Format.HeaderReserve);
        for (var i = 0; i < count; i++)
        {
            frame.SetWriterIndex(frame.WriterIndex + copy(i, ByteBuffers.WritableSpan(frame, Format.MaxEntryBytes)));
        }

        return Format.Seal(frame, kind, _sendTimeNs);
    }

    private void AssertFrameHolds(WebSocketFrame frame, QuoteFrameKind kind, List<(QuoteEvent Quote, string Symbol)> quotes)
    {
        try
        {
            var batch = new QuoteBatch();
            batch.Quotes.Add(quotes.Select(q => QuoteMessages.ToMessage(q.Quote, q.Symbol)));
            batch.SendTimeNs = _sendTimeNs;
            var expected = kind == QuoteFrameKind.Snapshot ? new ServerMessage { Snapshot = batch } : new ServerMessage { Quotes = batch };

            Assert.Equal(expected, FanoutClient.Parse(frame));
            Assert.True(frame.IsFinal);
            AssertLayout(frame, expected);
        }
        finally
        {
            frame.Release();
        }
    }
}
