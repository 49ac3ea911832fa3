using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

public sealed class PacingPlanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void QuotesAreEvenlySpacedAtOneOverTheRate(int rate)
    {
        var plan = new PacingPlan(new SimulatorOptions { Rate = rate });

        Assert.Equal(0, plan.TimeOfNs(0));
        Assert.Equal(1_000_000_000L / rate, plan.TimeOfNs(1));
        // Far into a run the plan has not drifted: quote rate x 3600 is due at exactly one hour.
        Assert.Equal(3_600_000_000_000L, plan.TimeOfNs(rate * 3600L));
    }

    [Fact]
    public void UnevenPeriodsRoundToTheNearestNanosecondWithoutDrift()
    {
        var plan = new PacingPlan(new SimulatorOptions { Rate = 3 });

        Assert.Equal(333_333_333, plan.TimeOfNs(1));
        Assert.Equal(666_666_667, plan.TimeOfNs(2));
        Assert.Equal(1_000_000_000, plan.TimeOfNs(3));
    }

    [Fact]
    public void BurstWindowOpensEachCycleAtTheRateTimesTheFactor()
    {
        // 1,000/s, x4 for 100 ms every second: each cycle is 400 quotes in the first 100 ms,
        // then 900 over the remaining 900 ms.
        var plan = new PacingPlan(new SimulatorOptions
        {
            Rate = 1_000,
            BurstFactor = 4,
            BurstInterval = TimeSpan.FromSeconds(1),
            BurstLength = TimeSpan.FromMilliseconds(100),
        });

        Assert.Equal(250_000, plan.TimeOfNs(1));
        Assert.Equal(100_000_000, plan.TimeOfNs(400));
        Assert.Equal(101_000_000, plan.TimeOfNs(401));
        Assert.Equal(1_000_000_000, plan.TimeOfNs(1_300));
        Assert.Equal(1_000_250_000, plan.TimeOfNs(1_301));
        Assert.Equal(10_000_000_000, plan.TimeOfNs(13_000));
    }

    [Fact]
    public void TimesNeverGoBackwards()
    {
        var plan = new PacingPlan(new SimulatorOptions
        {
            Rate = 7_777,
            BurstFactor = 3.3,
            BurstInterval = TimeSpan.FromSeconds(0.37),
            BurstLength = TimeSpan.FromMilliseconds(41),
        });

        var previous = plan.TimeOfNs(0);
        for (var i = 1L; i < 200_000; i++)
        {
            var time = plan.TimeOfNs(i);
            Assert.True(time >= previous, $"quote {i} is due at {time} ns, before quote {i - 1} at {previous} ns");
            previous = time;
        }
    }
}
