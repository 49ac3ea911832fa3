using System.Diagnostics;
using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Security;

public sealed class TokenBucketTests
{
    private static readonly long s_second = Stopwatch.Frequency;

    [Fact]
    public void LetsABurstThroughThenRefusesUntilRefilled()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 3, nowTicks: 0);

        Assert.True(bucket.TryTake(0));
        Assert.True(bucket.TryTake(0));
        Assert.True(bucket.TryTake(0));
        Assert.False(bucket.TryTake(0));
        Assert.False(bucket.TryTake(s_second / 20));
        Assert.True(bucket.TryTake(s_second / 10));
        Assert.False(bucket.TryTake(s_second / 10));
    }

    [Fact]
    public void NeverHoldsMoreThanTheBurst()
    {
        var bucket = new TokenBucket(ratePerSecond: 100, burst: 2, nowTicks: 0);

        var taken = 0;
        while (bucket.TryTake(60 * s_second))
        {
            taken++;
        }

        Assert.Equal(2, taken);
    }

    [Fact]
    public void SustainsExactlyTheRate()
    {
        var bucket = new TokenBucket(ratePerSecond: 50, burst: 1, nowTicks: 0);

        var taken = 0;
        for (var ms = 0; ms < 10_000; ms++)
        {
            taken += bucket.TryTake(ms * s_second / 1000) ? 1 : 0;
        }

        // Ten seconds at 50/s, plus the one token it started with.
        Assert.InRange(taken, 500, 501);
    }
}
