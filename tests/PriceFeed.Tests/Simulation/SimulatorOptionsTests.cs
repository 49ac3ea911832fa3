using PriceFeed.Simulation;

namespace PriceFeed.Tests.Simulation;

public sealed class SimulatorOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = new SimulatorOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(500, options.Symbols);
        Assert.Equal(10_000, options.Rate);
        Assert.Null(options.Duration);
        Assert.Null(options.Seed);
        Assert.False(options.HasBursts);
    }

    [Theory]
    [InlineData(0, "--symbols must be between 1 and 100000 (got 0).")]
    [InlineData(100_001, "--symbols must be between 1 and 100000 (got 100001).")]
    public void RejectsSymbolsOutsideLimits(int symbols, string message)
    {
        Assert.Equal([message], new SimulatorOptions { Symbols = symbols }.Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1_000_001)]
    public void RejectsRateOutsideLimitsNamingTheOption(int rate)
    {
        var error = Assert.Single(new SimulatorOptions { Rate = rate }.Validate());

        Assert.Equal($"--rate must be between 1 and 1000000 quotes per second (got {rate}).", error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1_000_000)]
    public void AcceptsRateAtItsLimits(int rate)
    {
        Assert.Empty(new SimulatorOptions { Rate = rate }.Validate());
    }

    [Fact]
    public void RejectsZeroDuration()
    {
        var error = Assert.Single(new SimulatorOptions { Duration = TimeSpan.Zero }.Validate());

        Assert.StartsWith("--duration must be a positive number of seconds", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(101)]
    [InlineData(double.NaN)]
    public void RejectsBurstFactorOutsideLimits(double factor)
    {
        var error = Assert.Single(new SimulatorOptions { BurstFactor = factor }.Validate());

        Assert.StartsWith("--burst-factor must be between 1 (no bursts) and 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsBurstNotShorterThanItsInterval()
    {
        var options = new SimulatorOptions { BurstFactor = 2, BurstInterval = TimeSpan.FromSeconds(1), BurstLength = TimeSpan.FromSeconds(1) };

        var error = Assert.Single(options.Validate());

        Assert.Equal("--burst-ms must be positive and shorter than --burst-every (got 1000 ms every 1 s).", error);
    }

    [Fact]
    public void RejectsBurstPeakAboveMaximumRateNamingBothOptions()
    {
        var options = new SimulatorOptions { Rate = 400_000, BurstFactor = 5 };

        var error = Assert.Single(options.Validate());

        Assert.Equal(
            "--rate 400000 with --burst-factor 5 asks 2000000 quotes per second during bursts; the most is 1000000: lower one of them.",
            error);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void RejectsPacingSlackOutsideLimits(int milliseconds)
    {
        var error = Assert.Single(new SimulatorOptions { PacingSlack = TimeSpan.FromMilliseconds(milliseconds) }.Validate());

        Assert.Equal($"--pacing-slack-ms must be between 0 and 100 ms (got {milliseconds}).", error);
    }

    [Fact]
    public void MeanRateIncludesWhatBurstsAdd()
    {
        var options = new SimulatorOptions
        {
            Rate = 100_000,
            BurstFactor = 10,
            BurstInterval = TimeSpan.FromSeconds(1),
            BurstLength = TimeSpan.FromMilliseconds(200),
        };

        Assert.Equal(280_000, options.MeanRate, precision: 6);
        Assert.Equal(100_000, new SimulatorOptions { Rate = 100_000 }.MeanRate);
    }

    [Fact]
    public void IgnoresBurstTimingWhenThereAreNoBursts()
    {
        Assert.Empty(new SimulatorOptions { BurstLength = TimeSpan.Zero }.Validate());
    }

    [Fact]
    public void ReportsEveryInvalidOptionAtOnce()
    {
        var options = new SimulatorOptions { Symbols = 0, Rate = 0, Duration = TimeSpan.FromSeconds(-1) };

        Assert.Equal(3, options.Validate().Count);
        var exception = Assert.Throws<ArgumentException>(options.ThrowIfInvalid);
        Assert.Contains("--symbols", exception.Message, StringComparison.Ordinal);
        Assert.Contains("--rate", exception.Message, StringComparison.Ordinal);
        Assert.Contains("--duration", exception.Message, StringComparison.Ordinal);
    }
}
