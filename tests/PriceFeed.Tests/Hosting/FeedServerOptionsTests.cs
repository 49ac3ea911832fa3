using PriceFeed.Server.Hosting;
using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Hosting;

public sealed class FeedServerOptionsTests
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private static FeedServerOptions Load(string[] args, IReadOnlyDictionary<string, string>? environment, out IReadOnlyList<string> errors) =>
        FeedServerOptions.Load(args, out errors, out _, environment ?? s_noEnvironment);

    [Fact]
    public void DefaultsAreTheContractDefaults()
    {
        var options = Load([], null, out var errors);

        Assert.Empty(errors);
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(8080, options.Port);
        Assert.Equal(QuoteSourceKind.Sim, options.Source);
        Assert.Equal(500, options.Symbols);
        Assert.Equal(10_000, options.Rate);
        Assert.Null(options.Duration);
        Assert.Null(options.Seed);
        Assert.Equal(SlowConsumerPolicy.Conflate, options.Policy);
        Assert.Equal(1024, options.QueueCapacity);
        Assert.Equal(15_000, options.Limits.HeartbeatIntervalMs);
        Assert.Equal("localhost:6379", options.Redis);
    }

    [Fact]
    public void SourceRedisTakesTheRedisConnection()
    {
        var options = Load(["--source", "redis", "--redis", "10.0.0.5:6380"], null, out var errors);

        Assert.Empty(errors);
        Assert.Equal(QuoteSourceKind.Redis, options.Source);
        Assert.Equal("10.0.0.5:6380", options.Redis);
    }

    [Fact]
    public void RejectsARedisConnectionWithoutAnEndpointNamingTheOption()
    {
        Load(["--source", "redis", "--redis", ","], null, out var errors);

        Assert.Contains(errors, e => e.Contains("--redis", StringComparison.Ordinal));
    }

    [Fact]
    public void CommandLineAcceptsSpaceAndEqualsForms()
    {
        var options = Load(["--port", "9001", "--rate=2500", "--policy", "DROP", "--queue-capacity", "64"], null, out var errors);

        Assert.Empty(errors);
        Assert.Equal(9001, options.Port);
        Assert.Equal(2500, options.Rate);
        Assert.Equal(SlowConsumerPolicy.Drop, options.Policy);
        Assert.Equal(64, options.QueueCapacity);
    }

    [Fact]
    public void EnvironmentSetsOptionsAndCommandLineWinsOverIt()
    {
        var environment = new Dictionary<string, string>
        {
            ["PRICEFEED_PORT"] = "7000",
            ["PRICEFEED_QUEUE_CAPACITY"] = "32",
            ["PRICEFEED_SEED"] = "42",
            ["PRICEFEED_UNRELATED_TOOL_SETTING"] = "ignored",
        };

        var options = Load(["--port", "7001"], environment, out var errors);

        Assert.Empty(errors);
        Assert.Equal(7001, options.Port);
        Assert.Equal(32, options.QueueCapacity);
        Assert.Equal(42, options.Seed);
    }

    [Fact]
    public void JsonFileSetsOptionsUnderEnvironmentAndCommandLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pricefeed-options-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "port": 7100, "symbols": 20, "queueCapacity": 16, "wait-strategy": "yielding" }""");
        try
        {
            var options = Load(["--config", path, "--symbols", "30"], new Dictionary<string, string> { ["PRICEFEED_PORT"] = "7200" }, out var errors);

            Assert.Empty(errors);
            Assert.Equal(7200, options.Port);
            Assert.Equal(30, options.Symbols);
            Assert.Equal(16, options.QueueCapacity);
            Assert.Equal(WaitStrategyKind.Yielding, options.WaitStrategy);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--port", "eighty", "--port")]
    [InlineData("--rate", "0", "--rate")]
    [InlineData("--policy", "keep-all", "--policy")]
    [InlineData("--ring-size", "1000", "power of two")]
    [InlineData("--wait-strategy", "sleepy", "--wait-strategy")]
    [InlineData("--queue-capacity", "-1", "--queue-capacity")]
    public void BadValuesAreReportedNamingTheOption(string option, string value, string expectedInMessage)
    {
        Load([option, value], null, out var errors);

        var error = Assert.Single(errors);
        Assert.Contains(expectedInMessage, error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOptionsAndMissingValuesAreErrors()
    {
        Load(["--prot", "80", "--rate"], null, out var errors);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("--prot: unknown option", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("--rate: a value is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void HelpListsEveryOptionWithItsEnvironmentVariable()
    {
        var help = FeedServerOptions.HelpText();

        foreach (var spec in FeedServerOptions.Specs)
        {
            Assert.Contains("--" + spec.Name, help, StringComparison.Ordinal);
            Assert.Contains(spec.EnvironmentVariable, help, StringComparison.Ordinal);
            Assert.Contains($"(default: {spec.DefaultText}; env {spec.EnvironmentVariable})", help, StringComparison.Ordinal);
        }

        Assert.Contains("(default: 65536; env PRICEFEED_RING_SIZE)", help, StringComparison.Ordinal);
        Assert.Contains("(default: conflate; env PRICEFEED_POLICY)", help, StringComparison.Ordinal);
    }
}
