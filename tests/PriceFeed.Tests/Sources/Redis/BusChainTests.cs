using System.Text;
using PriceFeed.Protocol;
using PriceFeed.Server.Sources.Redis;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Sources.Redis;

/// <summary>The chain rule alone, entry by entry: apply, skip, catch up, loss, new epoch (docs/scale-out.md, "Catching up").</summary>
public sealed class BusChainTests
{
    private static readonly byte[] s_one = Encoding.ASCII.GetBytes("pub-one");
    private static readonly byte[] s_two = Encoding.ASCII.GetBytes("pub-two");

    private static BusEntryId Id(ulong ms, ulong seq = 0) => new(ms, seq);

    private static BusStep Step(BusChain chain, byte[] epoch, BusEntryId id, BusEntryId previous, bool live = true) =>
        chain.Next(new BusEntryView(epoch, id, previous, default), live);

    private static void Apply(BusChain chain, byte[] epoch, BusEntryId id, BusEntryId previous) =>
        chain.Applied(new BusEntryView(epoch, id, previous, default));

    [Fact]
    public void AFreshNodeStartsTheEpochOfTheFirstEntryOfAnEpoch()
    {
        var chain = new BusChain();

        Assert.Equal(BusStep.StartEpoch, Step(chain, s_one, Id(5), BusEntryId.None));
        Apply(chain, s_one, Id(5), BusEntryId.None);
        Assert.Equal("pub-one", Encoding.ASCII.GetString(chain.Epoch));
        Assert.Equal(Id(5), chain.Last);
    }

    [Fact]
    public void AppliesEveryEntryThatFollowsTheLastOneAndSkipsEveryOneAlreadyApplied()
    {
        var chain = new BusChain();
        Apply(chain, s_one, Id(1), BusEntryId.None);
        // 1,000 entries in order, two ids in the same millisecond every time: each is the next; each again is a skip.
        var previous = Id(1);
        for (ulong i = 0; i < 1_000; i++)
        {
            var id = i % 2 == 0 ? Id(2 + (i / 2), 0) : Id(2 + (i / 2), 1);
            Assert.Equal(BusStep.Apply, Step(chain, s_one, id, previous));
            Apply(chain, s_one, id, previous);
            Assert.Equal(BusStep.Skip, Step(chain, s_one, id, previous));
            Assert.Equal(BusStep.Skip, Step(chain, s_one, previous, BusEntryId.None, live: false));
            previous = id;
        }

        Assert.Equal(previous, chain.Last);
    }

    [Fact]
    public void ALiveEntryAfterAMissedOneCatchesUpAndTheSameEntryFromTheStreamIsALoss()
    {
        var chain = new BusChain();
        Apply(chain, s_one, Id(1), BusEntryId.None);

        // Entry 2 was missed: entry 3 names it as its previous.
        Assert.Equal(BusStep.CatchUp, Step(chain, s_one, Id(3), Id(2)));
        // Read from the stream, entry 2 is next; had the stream lost it, entry 3 would be applied after a loss.
        Assert.Equal(BusStep.Apply, Step(chain, s_one, Id(2), Id(1), live: false));
        Assert.Equal(BusStep.ApplyAfterLoss, Step(chain, s_one, Id(3), Id(2), live: false));
    }

    [Fact]
    public void ANewEpochStartsAtItsFirstEntryLiveOrReadAndAfterALossWhenItsStartIsGone()
    {
        var chain = new BusChain();
        Apply(chain, s_one, Id(10), Id(9));

        Assert.Equal(BusStep.StartEpoch, Step(chain, s_two, Id(20), BusEntryId.None));
        Assert.Equal(BusStep.StartEpoch, Step(chain, s_two, Id(20), BusEntryId.None, live: false));
        // The new epoch's first entries missed: live, catch up; read from the stream, its start is gone.
        Assert.Equal(BusStep.CatchUp, Step(chain, s_two, Id(22), Id(21)));
        Assert.Equal(BusStep.StartEpochAfterLoss, Step(chain, s_two, Id(22), Id(21), live: false));
        // An id at or below the last one in another epoch is not a duplicate: only the same epoch skips.
        Assert.Equal(BusStep.StartEpoch, Step(chain, s_two, Id(3), BusEntryId.None));

        Apply(chain, s_two, Id(20), BusEntryId.None);
        Assert.Equal("pub-two", Encoding.ASCII.GetString(chain.Epoch));
        Assert.Equal(BusStep.Apply, Step(chain, s_two, Id(21), Id(20)));
    }

    [Fact]
    public void DecidingAndRecordingEntriesOfTheSameEpochAllocatesNothing()
    {
        var chain = new BusChain();
        Apply(chain, s_one, Id(1), BusEntryId.None);
        var epoch = (byte[])s_one.Clone();
        var steps = 0;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong i = 2; i < 1_002; i++)
        {
            steps += (int)Step(chain, epoch, Id(i), Id(i - 1));
            Apply(chain, epoch, Id(i), Id(i - 1));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_000 * (int)BusStep.Apply, steps);
    }

    [Theory]
    [InlineData("1-0", 1ul, 0ul)]
    [InlineData("1796280671623-17", 1796280671623ul, 17ul)]
    public void StreamIdsReadAndWriteAsRedisDoes(string text, ulong ms, ulong seq)
    {
        Assert.True(BusEntryId.TryParse(text, out var id));
        Assert.Equal(new BusEntryId(ms, seq), id);
        Assert.Equal(text, id.ToString());
        Assert.True(id < id.Next() && new BusEntryId(ms, ulong.MaxValue) < new BusEntryId(ms + 1, 0));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("-1")]
    [InlineData("1-")]
    [InlineData("a-1")]
    [InlineData("1-2-3")]
    public void AnythingElseIsNotAStreamId(string? text) => Assert.False(BusEntryId.TryParse(text, out _));
}
