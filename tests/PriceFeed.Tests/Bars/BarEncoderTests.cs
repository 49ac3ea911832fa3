using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Bars;

namespace PriceFeed.Tests.Bars;

/// <summary><see cref="BarEncoder"/> and <see cref="BarJsonEncoder"/> against Google.Protobuf's own writers.</summary>
public sealed class BarEncoderTests
{
    private const string SymbolChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/:^\"\\<>";

    private static readonly double[] s_doubles =
        [0, -0.0, 1, -1, 100.25, 0.1 + 0.2, 1e21, 1e-7, -2.2250738585072014E-308, double.MaxValue, double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private static readonly uint[] s_intervals = [0, 1, 5, 60, 300, 127, 128, uint.MaxValue];

    [Fact]
    public void RandomBarsAreByteForByteWhatGoogleProtobufWrites()
    {
        var random = new Random(20261203);
        var buffer = new byte[BarEncoder.MaxEntryBytes];
        for (var i = 0; i < 20_000; i++)
        {
            var (symbol, interval, bar, closed) = RandomBar(random, allowEmptySymbol: true);

            var length = BarEncoder.WriteEntry(Encoding.ASCII.GetBytes(symbol), interval, bar, closed, buffer);

            var message = new BarBatch { Bars = { ToMessage(symbol, interval, bar, closed) } };
            if (HasNegativeZero(bar))
            {
                // The encoders write -0.0 (its bits are not 0, as C++ and Java write it); C#'s generated code compares
                // with 0 and leaves it out. Not byte for byte, then, but the same bar reads back, -0.0 kept.
                Assert.Equal(message, BarBatch.Parser.ParseFrom(buffer, 0, length));
                continue;
            }

            var expected = message.ToByteArray();
            Assert.True(expected.AsSpan().SequenceEqual(buffer.AsSpan(0, length)), $"bar {i}: {ToMessage(symbol, interval, bar, closed)}: {Convert.ToHexString(buffer, 0, length)}, Google.Protobuf's {Convert.ToHexString(expected)}");
        }
    }

    [Fact]
    public void RandomBarsAreJsonFormattersTextWithoutSpaces()
    {
        var random = new Random(20261204);
        var buffer = new byte[BarJsonEncoder.MaxEntryBytes];
        for (var i = 0; i < 20_000; i++)
        {
            // A symbol is never empty (SymbolTable.IsValid): the JSON writer always writes it, as the formatter does any non-empty one.
            var (symbol, interval, bar, closed) = RandomBar(random, allowEmptySymbol: false);
            var message = ToMessage(symbol, interval, bar, closed);

            var length = BarJsonEncoder.WriteEntry(Encoding.ASCII.GetBytes(symbol), interval, bar, closed, buffer);

            // JsonFormatter puts spaces after ':' and ',' and inside braces; the symbols here hold none.
            Assert.Equal(JsonFormatter.Default.Format(message).Replace(" ", "", StringComparison.Ordinal), Encoding.UTF8.GetString(buffer, 0, length));
        }
    }

    [Fact]
    public void TheJsonOfTheSpecsExampleIsWhatTheSpecSays()
    {
        var bar = new BarValue { StartNs = 1_764_754_200_000_000_000, Open = 100.5, High = 100.7, Low = 100.4, Close = 100.6, Volume = 1200, Trades = 7 };
        var buffer = new byte[BarJsonEncoder.MaxEntryBytes];

        var length = BarJsonEncoder.WriteEntry("S000"u8, 1, bar, closed: true, buffer);

        Assert.Equal(
            """{"symbol":"S000","intervalS":1,"startNs":"1764754200000000000","open":100.5,"high":100.7,"low":100.4,"close":100.6,"volume":"1200","trades":7,"closed":true}""",
            Encoding.UTF8.GetString(buffer, 0, length));
    }

    [Fact]
    public void TheLargestBarsFitTheBounds()
    {
        const double longest = -2.2250738585072014E-308;
        var bar = new BarValue { StartNs = long.MinValue, Open = longest, High = longest, Low = longest, Close = longest, Volume = ulong.MaxValue, Trades = uint.MaxValue };
        var symbol = Encoding.ASCII.GetBytes(new string('<', 32));

        var protobuf = BarEncoder.WriteEntry(symbol, uint.MaxValue, bar, closed: true, new byte[BarEncoder.MaxEntryBytes]);
        var json = BarJsonEncoder.WriteEntry(symbol, uint.MaxValue, bar, closed: true, new byte[BarJsonEncoder.MaxEntryBytes]);

        Assert.InRange(protobuf, BarEncoder.MaxEntryBytes - 1, BarEncoder.MaxEntryBytes);
        Assert.InRange(json, BarJsonEncoder.MaxEntryBytes - 8, BarJsonEncoder.MaxEntryBytes);
    }

    [Fact]
    public void EncodingAllocatesNothing()
    {
        var bar = new BarValue { StartNs = 1_764_754_200_000_000_000, Open = 100.5, High = 100.7, Low = 100.4, Close = 100.6, Volume = 1200, Trades = 7 };
        var buffer = new byte[BarJsonEncoder.MaxEntryBytes];
        BarEncoder.WriteEntry("AAPL"u8, 60, bar, closed: true, buffer);
        BarJsonEncoder.WriteEntry("AAPL"u8, 60, bar, closed: true, buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            BarEncoder.WriteEntry("AAPL"u8, 60, bar, closed: i % 2 == 0, buffer);
            BarJsonEncoder.WriteEntry("AAPL"u8, 60, bar, closed: i % 2 == 0, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ANegativeZeroPriceIsWrittenAndReadsBackAsNegativeZero()
    {
        var bar = new BarValue { StartNs = 5, Open = -0.0, High = 1, Low = -0.0, Close = 0.0 };
        var buffer = new byte[BarEncoder.MaxEntryBytes];

        var length = BarEncoder.WriteEntry("A"u8, 1, bar, closed: false, buffer);

        var parsed = Assert.Single(BarBatch.Parser.ParseFrom(buffer, 0, length).Bars);
        Assert.True(double.IsNegative(parsed.Open) && double.IsNegative(parsed.Low) && !double.IsNegative(parsed.Close));
    }

    internal static Bar ToMessage(string symbol, uint interval, in BarValue bar, bool closed) => new()
    {
        Symbol = symbol,
        IntervalS = interval,
        StartNs = bar.StartNs,
        Open = bar.Open,
        High = bar.High,
        Low = bar.Low,
        Close = bar.Close,
        Volume = bar.Volume,
        Trades = bar.Trades,
        Closed = closed,
    };

    /// <summary>Each field at its default a quarter of the time, so leaving defaults out is exercised too.</summary>
    internal static (string Symbol, uint Interval, BarValue Bar, bool Closed) RandomBar(Random random, bool allowEmptySymbol)
    {
        var symbolLength = random.Next(allowEmptySymbol ? 0 : 1, 33);
        var symbol = new string([.. Enumerable.Range(0, symbolLength).Select(_ => SymbolChars[random.Next(SymbolChars.Length)])]);
        var bar = new BarValue
        {
            StartNs = Pick(random, random.Next(3) switch
            {
                0 => 1_764_754_200_000_000_000 + random.NextInt64(1_000_000_000_000),
                1 => random.NextInt64(long.MinValue, long.MaxValue),
                _ => random.NextInt64(-1000, 1000),
            }),
            Open = RandomDouble(random),
            High = RandomDouble(random),
            Low = RandomDouble(random),
            Close = RandomDouble(random),
            Volume = Pick(random, random.Next(2) == 0 ? (ulong)random.Next(1, 300) : (ulong)random.NextInt64() * 2 + 1),
            Trades = Pick(random, random.Next(2) == 0 ? (uint)random.Next(1, 200) : (uint)random.NextInt64(uint.MaxValue)),
        };
        return (symbol, Pick(random, s_intervals[random.Next(s_intervals.Length)]), bar, random.Next(2) == 0);
    }

    private static bool HasNegativeZero(in BarValue bar) =>
        new[] { bar.Open, bar.High, bar.Low, bar.Close }.Any(d => d == 0 && double.IsNegative(d));

    private static double RandomDouble(Random random) => random.Next(3) switch
    {
        0 => s_doubles[random.Next(s_doubles.Length)],
        1 => Math.Round(random.NextDouble() * 1000, random.Next(0, 6)),
        _ => BitConverter.Int64BitsToDouble(random.NextInt64()),
    };

    private static T Pick<T>(Random random, T value)
        where T : struct => random.Next(4) == 0 ? default : value;
}
