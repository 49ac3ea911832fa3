using PriceFeed.CommandLine;

namespace PriceFeed.Tests.CommandLine;

/// <summary>The PRICEFEED_* convention itself, on a small command of its own.</summary>
public sealed class OptionSetTests
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private static readonly OptionSpec<int> s_port = new("port", 8080, ValueReaders.WholeNumber(0, 65_535), "port to listen on");
    private static readonly OptionSpec<int> s_ringSize = new OptionSpec<int>("ring-size", 64, ValueReaders.WholeNumber(2, 1 << 24), "ring slots")
        .Must(int.IsPow2, _ => "is not a power of two");
    private static readonly OptionSpec<string> s_mode = new("mode", "fast", ValueReaders.OneOf(("fast", "fast"), ("slow", "slow")), "how");
    private static readonly OptionSpec<long?> s_seed = new("seed", null, ValueReaders.Optional(ValueReaders.WholeNumber<long>()), "seed", "random");

    private static readonly OptionSet s_set = new("demo", "A command to test the convention with.", [s_port, s_ringSize, s_mode, s_seed], acceptsConfigFile: true);

    private static OptionValues Parse(string[] args, Dictionary<string, string>? environment = null) =>
        s_set.Parse(args, environment ?? s_noEnvironment);

    [Fact]
    public void UnsetOptionsHaveTheirDeclaredDefaults()
    {
        var values = Parse([]);

        Assert.Empty(values.Errors);
        Assert.False(values.HelpRequested);
        Assert.Equal(8080, values.Get(s_port));
        Assert.Equal("fast", values.Get(s_mode));
        Assert.Null(values.Get(s_seed));
    }

    [Fact]
    public void EnvironmentSetsAnOptionAndTheCommandLineWinsOverIt()
    {
        var environment = new Dictionary<string, string> { ["PRICEFEED_PORT"] = "7000", ["PRICEFEED_RING_SIZE"] = "128" };

        var values = Parse(["--port", "7001"], environment);

        Assert.Empty(values.Errors);
        Assert.Equal(7001, values.Get(s_port));
        Assert.Equal(128, values.Get(s_ringSize));
    }

    [Fact]
    public void ConfigFileIsUnderTheEnvironmentAndTheCommandLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pricefeed-optionset-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "port": 7100, "ringSize": 256, "mode": "slow" }""");
        try
        {
            var values = Parse(["--config", path, "--mode", "fast"], new() { ["PRICEFEED_PORT"] = "7200" });

            Assert.Empty(values.Errors);
            Assert.Equal(7200, values.Get(s_port));
            Assert.Equal(256, values.Get(s_ringSize));
            Assert.Equal("fast", values.Get(s_mode));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ConfigFileWithAnUnknownKeyOrUnreadableIsAnError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pricefeed-optionset-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "prot": 80 }""");
        try
        {
            Assert.Equal($"--config: '{path}' has an unknown option 'prot'.", Assert.Single(Parse(["--config", path]).Errors));
            File.Delete(path);
            Assert.StartsWith("--config: cannot read", Assert.Single(Parse(["--config", path]).Errors), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownOptionIsAnErrorNamingItAndItsValueIsNotASecondOne()
    {
        var values = Parse(["--prot", "80", "--mode=slow"]);

        Assert.Equal("--prot: unknown option (see --help for the list).", Assert.Single(values.Errors));
        Assert.Equal("slow", values.Get(s_mode));
    }

    [Fact]
    public void StrayWordAndMissingValueAreErrors()
    {
        var values = Parse(["80", "--port"]);

        Assert.Equal(2, values.Errors.Count);
        Assert.Contains("--port: a value is missing (write --port VALUE).", values.Errors);
        Assert.Contains(values.Errors, e => e.StartsWith("Unexpected argument '80'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--port", "eighty", "--port: 'eighty' is not valid; expected a whole number from 0 to 65535.")]
    [InlineData("--port", "65536", "--port: '65536' is not valid; expected a whole number from 0 to 65535.")]
    [InlineData("--mode", "medium", "--mode: 'medium' is not valid; expected one of fast, slow.")]
    [InlineData("--ring-size", "100", "--ring-size: '100' is not a power of two.")]
    public void BadValueIsAnErrorNamingTheOption(string option, string value, string message)
    {
        var values = Parse([option, value]);

        Assert.Equal(message, Assert.Single(values.Errors));
    }

    [Fact]
    public void BadValueFromTheEnvironmentNamesTheVariable()
    {
        var values = Parse([], new() { ["PRICEFEED_PORT"] = "eighty" });

        Assert.Equal("--port: 'eighty' (from PRICEFEED_PORT) is not valid; expected a whole number from 0 to 65535.", Assert.Single(values.Errors));
        Assert.Equal(8080, values.Get(s_port));
    }

    [Fact]
    public void EveryMistakeIsReportedAtOnce()
    {
        var values = Parse(["--port", "x", "--mode", "y", "--nope", "1"], new() { ["PRICEFEED_RING_SIZE"] = "3" });

        Assert.Equal(4, values.Errors.Count);
    }

    [Fact]
    public void TheLastOfARepeatedOptionWins()
    {
        Assert.Equal(2, Parse(["--port", "1", "--port", "2"]).Get(s_port));
    }

    [Fact]
    public void AnEmptyValueLeavesTheDefault()
    {
        var values = Parse([], new() { ["PRICEFEED_SEED"] = "" });

        Assert.Empty(values.Errors);
        Assert.Null(values.Get(s_seed));
    }

    [Fact]
    public void WholeNumbersMayGroupTheirDigits()
    {
        Assert.Equal(10_000, Parse(["--port", "10_000"]).Get(s_port));
        Assert.Equal(10_000, Parse(["--port", "10,000"]).Get(s_port));
    }

    [Fact]
    public void UnrelatedEnvironmentVariablesAreIgnored()
    {
        var values = Parse([], new() { ["PRICEFEED_FUZZ_ITERATIONS"] = "5", ["PORT"] = "1" });

        Assert.Empty(values.Errors);
        Assert.Equal(8080, values.Get(s_port));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    public void HelpIsRequestedEvenBesideMistakes(string help)
    {
        Assert.True(Parse(["--port", "x", help]).HelpRequested);
    }

    [Fact]
    public void HelpListsEveryOptionWithItsDefaultAndVariable()
    {
        var help = s_set.HelpText();

        Assert.Contains("A command to test the convention with.", help, StringComparison.Ordinal);
        Assert.Contains("(default: 8080; env PRICEFEED_PORT)", help, StringComparison.Ordinal);
        Assert.Contains("(default: 64; env PRICEFEED_RING_SIZE)", help, StringComparison.Ordinal);
        Assert.Contains("(default: fast; env PRICEFEED_MODE)", help, StringComparison.Ordinal);
        Assert.Contains("(default: random; env PRICEFEED_SEED)", help, StringComparison.Ordinal);
        Assert.Contains("(default: none; env PRICEFEED_CONFIG)", help, StringComparison.Ordinal);
        foreach (var spec in s_set.Specs)
        {
            Assert.Contains("--" + spec.Name + " ", help, StringComparison.Ordinal);
        }
    }
}
