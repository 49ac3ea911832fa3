using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

public sealed class Xoshiro256StarStarTests
{
    [Fact]
    public void SameSeedGivesSameSequence()
    {
        var first = new Xoshiro256StarStar(12345);
        var second = new Xoshiro256StarStar(12345);

        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(first.NextUInt64(), second.NextUInt64());
        }
    }

    [Fact]
    public void NearbySeedsGiveUnrelatedSequences()
    {
        var first = new Xoshiro256StarStar(1);
        var second = new Xoshiro256StarStar(2);

        // Half the bits differ on average; related streams would differ in few.
        var differing = 0;
        for (var i = 0; i < 1_000; i++)
        {
            differing += (int)ulong.PopCount(first.NextUInt64() ^ second.NextUInt64());
        }

        Assert.InRange(differing / 1_000.0, 30, 34);
    }

    [Fact]
    public void NormalsHaveMeanZeroAndVarianceOne()
    {
        var random = new Xoshiro256StarStar(99);
        const int Count = 1_000_000;
        double sum = 0, sumOfSquares = 0;
        for (var i = 0; i < Count; i++)
        {
            var x = random.NextNormal();
            sum += x;
            sumOfSquares += x * x;
        }

        var mean = sum / Count;
        // Standard error of the mean is 0.001 here; of the variance about 0.0014.
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange((sumOfSquares / Count) - (mean * mean), 0.993, 1.007);
    }

    [Fact]
    public void BoundedIntegersCoverTheRangeEvenly()
    {
        var random = new Xoshiro256StarStar(5);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[random.NextInt(10)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 9_500, 10_500));
    }
}
