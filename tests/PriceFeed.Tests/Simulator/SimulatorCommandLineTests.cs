using PriceFeed.Simulator;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Simulator;

/// <summary>The simulator reads its options by the server's convention.</summary>
public sealed class SimulatorCommandLineTests
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private static SimulatorCommandLine? Parse(string[] args, out IReadOnlyList<string> errors, Dictionary<string, string>? environment = null) =>
        SimulatorCommandLine.Parse(args, out errors, environment ?? s_noEnvironment);

    [Fact]
    public void DefaultsAreTheLibrarysWithTheServersPacingSlack()
    {
        var commandLine = Parse([], out var errors);

        Assert.Empty(errors);
        Assert.Equal(500, commandLine!.Options.Symbols);
        Assert.Equal(10_000, commandLine.Options.Rate);
        Assert.Null(commandLine.Options.Duration);
        Assert.Null(commandLine.Options.Seed);
        Assert.False(commandLine.Options.HasBursts);
        Assert.Equal(TimeSpan.FromMilliseconds(2), commandLine.Options.PacingSlack);
        Assert.Equal(0, commandLine.Print);
        Assert.Null(commandLine.Redis);
        Assert.Equal(TimeSpan.FromSeconds(30), commandLine.BusHistory);
    }

    [Fact]
    public void ReadsEveryOption()
    {
        var commandLine = Parse(
            ["--symbols", "20", "--rate=100_000", "--duration", "2.5", "--seed", "18446744073709551615", "--burst-factor", "3",
             "--burst-every", "4", "--burst-ms", "250", "--pacing-slack-ms", "0.5", "--print", "7", "--redis", "127.0.0.1:6390", "--bus-history", "2.5"],
            out var errors);

        Assert.Empty(errors);
        var options = commandLine!.Options;
        Assert.Equal(20, options.Symbols);
        Assert.Equal(100_000, options.Rate);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.Duration);
        Assert.Equal(ulong.MaxValue, options.Seed);
        Assert.Equal(3, options.BurstFactor);
        Assert.Equal(TimeSpan.FromSeconds(4), options.BurstInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.BurstLength);
        Assert.Equal(TimeSpan.FromMilliseconds(0.5), options.PacingSlack);
        Assert.Equal(7, commandLine.Print);
        Assert.Equal("127.0.0.1:6390", commandLine.Redis);
        Assert.Equal(TimeSpan.FromSeconds(2.5), commandLine.BusHistory);
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("3601")]
    public void ABusHistoryOutsideOneSecondToAnHourIsRefused(string seconds)
    {
        Assert.Null(Parse(["--bus-history", seconds], out var errors));

        Assert.Contains(errors, e => e.StartsWith("--bus-history", StringComparison.Ordinal) && e.Contains("1 to 3600", StringComparison.Ordinal));
    }

    [Fact]
    public void EnvironmentSetsOptionsAndCommandLineWinsOverIt()
    {
        var environment = new Dictionary<string, string> { ["PRICEFEED_RATE"] = "500", ["PRICEFEED_BURST_FACTOR"] = "2", ["PRICEFEED_SYMBOLS"] = "9" };

        var commandLine = Parse(["--symbols", "11"], out var errors, environment);

        Assert.Empty(errors);
        Assert.Equal(500, commandLine!.Options.Rate);
        Assert.Equal(2, commandLine.Options.BurstFactor);
        Assert.Equal(11, commandLine.Options.Symbols);
    }

    [Fact]
    public void BadValueFromTheEnvironmentNamesTheVariable()
    {
        Assert.Null(Parse([], out var errors, new() { ["PRICEFEED_RATE"] = "fast" }));

        Assert.Equal("--rate: 'fast' (from PRICEFEED_RATE) is not valid; expected a whole number.", Assert.Single(errors));
    }

    [Fact]
    public void RangesAreTheOptionsTypesAndEveryMistakeIsReported()
    {
        Assert.Null(Parse(["--symbols", "0", "--rate", "x", "--redis", ",", "--print", "-1", "--bogus", "1"], out var errors));

        Assert.Equal(5, errors.Count);
        Assert.Contains("--symbols must be between 1 and 100000 (got 0).", errors);
        Assert.Contains("--rate: 'x' is not valid; expected a whole number.", errors);
        Assert.Contains("--redis: ',' is not a Redis endpoint; expected HOST:PORT.", errors);
        Assert.Contains(errors, e => e.StartsWith("--print: '-1' is not valid", StringComparison.Ordinal));
        Assert.Contains("--bogus: unknown option (see --help for the list).", errors);
    }

    [Fact]
    public void HelpListsEveryOptionWithItsDefaultAndVariable()
    {
        var commandLine = Parse(["--help"], out _);
        var usage = SimulatorCommandLine.Usage;

        Assert.True(commandLine!.ShowHelp);
        foreach (var spec in SimulatorCommandLine.Specs)
        {
            Assert.Contains($"--{spec.Name} ", usage, StringComparison.Ordinal);
            Assert.Contains($"(default: {spec.DefaultText}; env {spec.EnvironmentVariable})", usage, StringComparison.Ordinal);
        }

        Assert.Contains("(default: 2; env PRICEFEED_PACING_SLACK_MS)", usage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadOptionValueExitsWith2NamingTheOption()
    {
        using var simulator = ExternalProcess.Start(ServerProcess.DotnetHost, [RepositoryPaths.SimulatorDll, "--duration", "1", "--rate", "many"]);

        var exitCode = await simulator.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 2, $"exit code {exitCode}. Output:\n{simulator.Output}");
        Assert.Contains("--rate: 'many' is not valid", simulator.Output, StringComparison.Ordinal);
    }
}
