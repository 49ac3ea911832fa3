using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Fanout;

namespace PriceFeed.Tests.Wire;

public sealed class QuoteJsonEncoderTests
{
    private static readonly JsonParser s_parser = new(JsonParser.Settings.Default);

    private static readonly QuoteEvent[] s_quotes =
    [
        new() { Seq = 1, SourceTimeNs = 1_700_000_000_000_000_000, PublishTimeNs = 1_700_000_000_000_050_000, Bid = 101.25, Ask = 101.27, BidSize = 300, AskSize = 500, Last = 101.26, LastSize = 100, Volume = 1_234_567 },
        new() { Seq = ulong.MaxValue, SourceTimeNs = long.MaxValue, PublishTimeNs = long.MinValue, Bid = double.MaxValue, Ask = double.Epsilon, Volume = ulong.MaxValue },
        new() { Seq = 127, SourceTimeNs = -1, Bid = -5, Ask = 0.1 + 0.2, Last = 1e21, LastSize = 1e-7, Volume = 128 },
        new() { Bid = double.NaN, Ask = double.PositiveInfinity, Last = double.NegativeInfinity, BidSize = -0.0 },
        new QuoteEvent(),
    ];

    public static TheoryData<int> Quotes => new(Enumerable.Range(0, s_quotes.Length));

    private static string Encode(in QuoteEvent quote, string symbol)
    {
        var buffer = new byte[QuoteJsonEncoder.MaxEntryBytes];
        var length = QuoteJsonEncoder.WriteEntry(quote, Encoding.ASCII.GetBytes(symbol), buffer);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    // JsonFormatter puts a space after ':' and ',' and inside the braces; symbols hold no spaces.
    private static string FormatterText(in QuoteEvent quote, string symbol) =>
        JsonFormatter.Default.Format(QuoteMessages.ToMessage(quote, symbol)).Replace(" ", "", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Quotes))]
    public void TextIsJsonFormattersWithoutSpaces(int index)
    {
        foreach (var symbol in new[] { "A", "AAPL", "BRK.B", new string('Z', 32), "\"\\<>&='!~" })
        {
            Assert.Equal(FormatterText(s_quotes[index], symbol), Encode(s_quotes[index], symbol));
        }
    }

    [Theory]
    [MemberData(nameof(Quotes))]
    public void JsonParserReadsBackTheSameQuote(int index)
    {
        var quote = s_quotes[index];

        var parsed = s_parser.Parse<Quote>(Encode(quote, "MSFT"));

        Assert.Equal(CanonicalJsonRoundTrip(QuoteMessages.ToMessage(quote, "MSFT")), parsed);
    }

    [Fact]
    public void RandomQuotesMatchJsonFormatter()
    {
        var random = new Random(20261124);
        const string symbolChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/:^";
        for (var i = 0; i < 5_000; i++)
        {
            var symbol = new string([.. Enumerable.Range(0, random.Next(1, 33)).Select(_ => symbolChars[random.Next(symbolChars.Length)])]);
            var quote = new QuoteEvent
            {
                Seq = Pick(random, (ulong)random.NextInt64() * 2),
                SourceTimeNs = Pick(random, random.NextInt64(long.MinValue, long.MaxValue)),
                PublishTimeNs = Pick(random, 1_700_000_000_000_000_000 + random.NextInt64(1_000_000_000_000)),
                Bid = Pick(random, Math.Round(random.NextDouble() * 1000, random.Next(0, 6))),
                Ask = Pick(random, random.NextDouble() * 1000),
                BidSize = Pick(random, (double)random.Next(1, 10_000)),
                AskSize = Pick(random, BitConverter.Int64BitsToDouble(random.NextInt64())),
                Last = Pick(random, random.NextDouble() * Math.Pow(10, random.Next(-30, 30))),
                LastSize = Pick(random, -random.NextDouble()),
                Volume = Pick(random, (ulong)random.NextInt64(0, long.MaxValue)),
            };

            Assert.Equal(FormatterText(quote, symbol), Encode(quote, symbol));
            Assert.Equal(CanonicalJsonRoundTrip(QuoteMessages.ToMessage(quote, symbol)), s_parser.Parse<Quote>(Encode(quote, symbol)));
        }
    }

    [Fact]
    public void LargestPossibleEntryFitsTheBoundExactly()
    {
        const double longestDouble = -2.2250738585072014E-308;
        var quote = new QuoteEvent
        {
            Seq = ulong.MaxValue, SourceTimeNs = long.MinValue, PublishTimeNs = long.MinValue, Volume = ulong.MaxValue,
            Bid = longestDouble, Ask = longestDouble, BidSize = longestDouble, AskSize = longestDouble, Last = longestDouble, LastSize = longestDouble,
        };

        var text = Encode(quote, new string('<', 32));

        Assert.Equal(QuoteJsonEncoder.MaxEntryBytes, text.Length);
    }

    [Fact]
    public void EncodingAllocatesNothing()
    {
        var quote = s_quotes[0];
        var symbol = "AAPL"u8.ToArray();
        var buffer = new byte[QuoteJsonEncoder.MaxEntryBytes];
        QuoteJsonEncoder.WriteEntry(quote, symbol, buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            QuoteJsonEncoder.WriteEntry(quote, symbol, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // The same quote, except that -0.0 reads back as 0: canonical JSON leaves a double equal to 0 out.
    private static Quote CanonicalJsonRoundTrip(Quote quote)
    {
        var expected = quote.Clone();
        foreach (var field in Quote.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.Accessor.GetValue(expected) is double value && value == 0)
            {
                field.Accessor.SetValue(expected, 0.0);
            }
        }

        return expected;
    }

    // A field at its default value half of the time, so leaving defaults out is exercised too.
    private static T Pick<T>(Random random, T value) where T : struct => random.Next(4) == 0 ? default : value;
}
