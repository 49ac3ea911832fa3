using PriceFeed.Server.Fanout;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Fanout;

public sealed class QuoteLogTests
{
    private readonly byte[] _destination = new byte[LastValueCache.JsonEntryStride];

    [Fact]
    public void CopiesBackTheAppendedEntryWithItsSeqAndPublishTime()
    {
        var log = new QuoteLog(4);

        log.Append(sequence: 9, seq: 42, publishTimeNs: 1_234, [1, 2, 3]);

        Assert.Equal(3, log.CopyEntry(9, _destination, out var seq, out var publishTimeNs));
        Assert.Equal([1, 2, 3], _destination[..3]);
        Assert.Equal(42ul, seq);
        Assert.Equal(1_234, publishTimeNs);
    }

    [Fact]
    public void FindsNothingForASequenceNeverAppended()
    {
        var log = new QuoteLog(4);
        log.Append(sequence: 1, seq: 1, publishTimeNs: 1, [1]);

        Assert.Equal(0, log.CopyEntry(0, _destination, out var seq, out var publishTimeNs));
        Assert.Equal((0ul, 0L), (seq, publishTimeNs));
        // Sequence 5 maps to the slot that holds 1: the stamp tells them apart.
        Assert.Equal(0, log.CopyEntry(5, _destination, out _, out _));
    }

    [Fact]
    public void AnEntryOverwrittenWhenTheLogLapsReadsAsMissing()
    {
        var log = new QuoteLog(4);
        for (var sequence = 0; sequence <= 4; sequence++)
        {
            log.Append(sequence, (ulong)sequence + 100, sequence, [(byte)sequence]);
        }

        Assert.Equal(0, log.CopyEntry(0, _destination, out var seq, out _));
        Assert.Equal(0ul, seq);
        Assert.Equal(1, log.CopyEntry(4, _destination, out seq, out _));
        Assert.Equal((4, 104ul), (_destination[0], seq));
        Assert.Equal(1, log.CopyEntry(1, _destination, out seq, out _));
        Assert.Equal((1, 101ul), (_destination[0], seq));
    }

    [Fact]
    public void KeepsJsonEntriesOnlyOnceJsonIsEnabled()
    {
        var log = new QuoteLog(4);
        log.Append(sequence: 0, seq: 1, publishTimeNs: 10, [1], "{\"a\":1}"u8);
        Assert.Equal(0, log.CopyJsonEntry(0, _destination, out _, out _));

        log.EnableJson();
        log.EnableJson();
        log.Append(sequence: 1, seq: 2, publishTimeNs: 20, [2], "{\"b\":2}"u8);
        log.Append(sequence: 2, seq: 3, publishTimeNs: 30, [3]);

        Assert.Equal(0, log.CopyJsonEntry(0, _destination, out _, out _));
        Assert.Equal(7, log.CopyJsonEntry(1, _destination, out var seq, out var publishTimeNs));
        Assert.Equal("{\"b\":2}", System.Text.Encoding.UTF8.GetString(_destination, 0, 7));
        Assert.Equal((2ul, 20L), (seq, publishTimeNs));
        // A quote appended without JSON (no JSON client subscribed then) has no JSON entry.
        Assert.Equal(0, log.CopyJsonEntry(2, _destination, out _, out _));
        Assert.Equal(1, log.CopyEntry(0, _destination, out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(1000)]
    public void RejectsACapacityThatIsNotAPowerOfTwo(int capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuoteLog(capacity));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1024)]
    public void AcceptsAPowerOfTwo(int capacity) => Assert.Equal(capacity, new QuoteLog(capacity).Capacity);

    /// <summary>Issue 12, defect 5: whatever ring the option accepts, the server's log fits its arrays.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SizesTheServersLogWithinItsBoundForEveryAcceptedRingSize(bool dropOldest)
    {
        for (var ringSize = 2; ringSize <= 1 << 24; ringSize *= 2)
        {
            var capacity = QuoteLog.CapacityFor(ringSize, dropOldest);
            Assert.True(int.IsPow2(capacity) && capacity <= QuoteLog.MaxCapacity, $"ring {ringSize}: log {capacity}");
        }

        // The bound is the largest power of two whose JSON side is one array.
        long jsonBytes = (long)QuoteLog.MaxCapacity * LastValueCache.JsonEntryStride, largestArray = Array.MaxLength;
        Assert.True(jsonBytes <= largestArray && jsonBytes * 2 > largestArray, $"{jsonBytes} bytes against {largestArray}");
    }

    [Fact]
    public void RefusesACapacityPastItsBoundNamingWhatSizesIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new QuoteLog(QuoteLog.MaxCapacity * 2));
        Assert.Contains("--ring-size", error.Message);
    }

    /// <summary>Issue 12, defect 5: the largest log keeps every entry, also where byte offsets pass 2^31 in a log twice its size.</summary>
    [Fact]
    public void AppendsAndCopiesAcrossTheWholeOfTheLargestLog()
    {
        var log = new QuoteLog(QuoteLog.MaxCapacity);
        var entry = new byte[QuoteEncoder.MaxEntryBytes];
        var copy = new byte[QuoteEncoder.MaxEntryBytes];
        foreach (var sequence in new long[] { 0, QuoteLog.MaxCapacity / 2, QuoteLog.MaxCapacity - 1, QuoteLog.MaxCapacity + 5 })
        {
            entry.AsSpan().Fill((byte)sequence);
            log.Append(sequence, (ulong)sequence + 1, sequence, entry);

            Assert.Equal(entry.Length, log.CopyEntry(sequence, copy, out var seq, out _));
            Assert.Equal((ulong)sequence + 1, seq);
            Assert.Equal(entry, copy);
        }
    }
}
