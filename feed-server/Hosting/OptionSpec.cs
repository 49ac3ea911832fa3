namespace PriceFeed.Server.Hosting;

/// <summary>One option of the command line: its name, what it defaults to and what it means.</summary>
/// <param name="Name">The command-line name without dashes, e.g. <c>queue-capacity</c>.</param>
/// <param name="Default">The default as shown in <c>--help</c>.</param>
/// <param name="Help">One line on what it does.</param>
internal sealed record OptionSpec(string Name, string Default, string Help)
{
    /// <summary>The environment variable that can set it, e.g. <c>PRICEFEED_QUEUE_CAPACITY</c>.</summary>
    public string EnvironmentVariable => OptionValues.EnvironmentPrefix + Name.Replace('-', '_').ToUpperInvariant();
}
