using System.Diagnostics;
using PriceFeed.Server.Bars;
using PriceFeed.Tests.Ring;
using Xunit.Abstractions;

namespace PriceFeed.Tests.Bars;

/// <summary>
/// One writer closing bars as fast as it can in a small ring (so readers are lapped all the time) while it updates the
/// bar in progress, and reader threads copying both: no torn bar, closed bars in order and consecutive within a read,
/// increasing across reads, never older than the ring held when the read began.
/// </summary>
/// <remarks>
/// Every bar is derived from its start (bar k: price <c>P(k)</c>, volume <c>V(k)</c> per trade, <see cref="TradesPerBar"/>
/// trades at rising prices), so any mix of two bars shows. Bounded by counts: the writer closes <see cref="Bars"/> bars;
/// readers (one taking the oldest bars after the last it read, one the newest) read until it is done. Removing the claim from <c>SymbolBars.Append</c>, or the version check from
/// <c>TryReadCurrent</c>, makes it fail (tried while writing it). In the ring threads' collection: its spinning
/// threads must not share two cores with other spinning tests.
/// </remarks>
[Collection(RingThreads.Name)]
public sealed class SymbolBarsConcurrencyTests
{
    private const int Capacity = 8;
    private const int Bars = 400_000;
    private const int TradesPerBar = 3;
    private const int Readers = 2;
    private const long Base = 1_764_754_200_000_000_000;
    private const long Second = 1_000_000_000;

    private readonly ITestOutputHelper _output;

    public SymbolBarsConcurrencyTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void ReadersNeverSeeATornBarAndClosedBarsComeInOrder()
    {
        var bars = new SymbolBars(Capacity);
        var closedCount = 0L; // bars the writer has closed, published after each write: at most the ring's count
        var done = 0;
        var failures = new List<string>();
        var tallies = new Tally[Readers];
        using var start = new Barrier(Readers + 1);
        var readers = Enumerable.Range(0, Readers).Select(r => new Thread(() =>
        {
            var tally = new Tally();
            tallies[r] = tally;
            start.SignalAndWait();
            var failure = Read(bars, ref closedCount, ref done, newestOnly: r % 2 == 1, tally);
            if (failure is not null)
            {
                lock (failures)
                {
                    failures.Add($"reader {r}: {failure}");
                }
            }
        })
        { IsBackground = true, Name = $"bars-reader-{r}" }).ToList();
        readers.ForEach(t => t.Start());

        var started = Stopwatch.GetTimestamp();
        start.SignalAndWait();
        for (var k = 0; k <= Bars; k++)
        {
            for (var j = 0; j < TradesPerBar; j++)
            {
                bars.BeginWrite();
                bars.Trade(0, Base + (k * Second) + j, Price(k) + j, Volume(k));
                bars.MarkOpen();
                bars.EndWrite();
            }

            // Trade k + 1 closed bar k: k bars closed once bar k is in progress.
            Volatile.Write(ref closedCount, k);
            if (k % 32 == 0)
            {
                // Now and then a breath, so the reader of the oldest bars also gets reads through between laps.
                Thread.SpinWait(300);
            }
        }

        Volatile.Write(ref done, 1);
        foreach (var reader in readers)
        {
            Assert.True(reader.Join(TimeSpan.FromMinutes(2)), "a reader ends");
        }

        _output.WriteLine($"{Bars} bars closed in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s; readers: {string.Join("; ", tallies.Select(t => t.ToString()))}");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.All(tallies, t => Assert.True(t.ClosedRead > 0 && t.CurrentRead > 0, $"every reader read while the writer wrote: {t}"));
    }

    private static string? Read(SymbolBars bars, ref long closedCount, ref int done, bool newestOnly, Tally tally)
    {
        var buffer = new BarValue[Capacity];
        var lastClosed = long.MinValue;
        var lastCurrent = long.MinValue;
        while (Volatile.Read(ref done) == 0)
        {
            var before = Volatile.Read(ref closedCount);
            if (bars.TryReadCurrent(0, out var current))
            {
                tally.CurrentRead++;
                if (current.StartNs < lastCurrent || Torn(current, inProgress: true) is { } torn)
                {
                    return $"bar in progress {Show(current)} after one at {lastCurrent}: {Torn(current, inProgress: true) ?? "older"}";
                }

                lastCurrent = current.StartNs;
            }

            // The oldest after the last one read (the slots the writer overwrites next), or the newest ones.
            var newest = newestOnly;
            tally.Reads++;
            var count = bars.ReadClosed(0, newest ? long.MinValue : lastClosed, buffer.AsSpan(0, 1 + (int)(tally.Reads % Capacity)), newest);
            for (var i = 0; i < count; i++)
            {
                var bar = buffer[i];
                var position = (bar.StartNs - Base) / Second;
                if (Torn(bar, inProgress: false) is { } torn)
                {
                    return $"closed bar {Show(bar)}: {torn}";
                }

                if (i > 0 && bar.StartNs != buffer[i - 1].StartNs + Second)
                {
                    return $"closed bars {Show(buffer[i - 1])} then {Show(bar)} in one read";
                }

                if (position < before - Capacity)
                {
                    return $"closed bar {position} read when {before} were closed: older than the ring of {Capacity} held";
                }
            }

            if (count > 0)
            {
                tally.ClosedRead += count;
                var first = buffer[0].StartNs;
                if (!newest && first <= lastClosed)
                {
                    return $"closed bar {Show(buffer[0])} after one at {lastClosed}";
                }

                if (newest && (buffer[count - 1].StartNs - Base) / Second < before - 1)
                {
                    return $"the newest closed bar read is {Show(buffer[count - 1])} when {before} were closed";
                }

                tally.Lapped += !newest && lastClosed != long.MinValue && first != lastClosed + Second ? 1 : 0;
                lastClosed = Math.Max(lastClosed, buffer[count - 1].StartNs);
            }
        }

        return null;
    }

    private static double Price(long k) => 1 + (k * 0.5);

    private static ulong Volume(long k) => (ulong)((k * 3) + 1);

    /// <summary>What is wrong with a bar made of parts of two, or null: a bar of n trades is all derived from its start.</summary>
    private static string? Torn(in BarValue bar, bool inProgress)
    {
        var k = (bar.StartNs - Base) / Second;
        var trades = inProgress ? bar.Trades : TradesPerBar;
        var consistent = (bar.StartNs - Base) % Second == 0 && k >= 0 && bar.Trades == trades && trades is >= 1 and <= TradesPerBar
            && bar.Open == Price(k) && bar.Low == Price(k) && bar.High == Price(k) + trades - 1 && bar.Close == bar.High
            && bar.Volume == Volume(k) * trades;
        return consistent ? null : "torn";
    }

    private static string Show(in BarValue bar) =>
        $"[start +{(bar.StartNs - Base) / (double)Second} s, o {bar.Open} h {bar.High} l {bar.Low} c {bar.Close} v {bar.Volume} n {bar.Trades}]";

    private sealed class Tally
    {
        public long Reads { get; set; }

        public long CurrentRead { get; set; }

        public long ClosedRead { get; set; }

        public long Lapped { get; set; }

        public override string ToString() => $"{Reads} reads, {CurrentRead} bars in progress, {ClosedRead} closed bars, lapped {Lapped} times";
    }
}
