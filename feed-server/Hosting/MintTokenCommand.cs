using PriceFeed.CommandLine;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Hosting;

/// <summary><c>feed-server mint-token --auth-secret S --sub alice [--symbols 'AAPL,MS*'] [--ttl 3600]</c>: prints a
/// token the server started with the same secret accepts, for tests, demos and the docs.</summary>
/// <remarks>Options are read like the server's (command line, <c>PRICEFEED_*</c> environment, <c>--config</c>),
/// so <c>PRICEFEED_AUTH_SECRET</c> serves both and the secret need not appear on a command line.</remarks>
internal static class MintTokenCommand
{
    /// <summary>The first argument that selects this command instead of running the server.</summary>
    public const string Name = "mint-token";

    private static readonly OptionSpec<string?> s_secret = new(
        "auth-secret", null, ValueReaders.OptionalText, "the server's HS256 key (32 bytes or more)", "required");
    private static readonly OptionSpec<string?> s_subject = new(
        "sub", null, ValueReaders.OptionalText, "the user, as the sub claim", "required");
    private static readonly OptionSpec<string?> s_symbols = new(
        "symbols", null, ValueReaders.OptionalText, "comma-separated entitlements: exact symbols and PREFIX*; left out: every symbol", "all");
    // An hour: a demo or a test run fits in it, and a token that leaks stops working soon.
    private static readonly OptionSpec<int> s_ttl = new(
        "ttl", 3_600, ValueReaders.WholeNumber(1, 366 * 86_400), "seconds until the token expires");

    private static readonly OptionSet s_commandLine = new(
        Name,
        "Prints a token that a server started with the same --auth-secret accepts. "
        + "Usage: dotnet run -c Release --project feed-server -- mint-token --auth-secret S --sub USER [--symbols 'AAPL,MS*'] [--ttl 3600]",
        [s_secret, s_subject, s_symbols, s_ttl],
        acceptsConfigFile: true);

    /// <summary>Runs the command with the arguments after <see cref="Name"/>; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var values = s_commandLine.Parse(args, environment);
        if (values.HelpRequested)
        {
            output.WriteLine(s_commandLine.HelpText());
            return 0;
        }

        var secret = values.Get(s_secret);
        var subject = values.Get(s_subject);
        var symbols = values.Get(s_symbols)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (secret is null)
        {
            values.Fail(s_secret, "is required: the same key the server runs with.");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(secret) < TokenValidator.MinSecretBytes)
        {
            values.Fail(s_secret, $"the HS256 key must be at least {TokenValidator.MinSecretBytes} bytes (RFC 7518 3.2).");
        }

        if (subject is null)
        {
            values.Fail(s_subject, "is required: the user the token is for.");
        }

        if (values.Errors.Count > 0)
        {
            foreach (var message in values.Errors)
            {
                error.WriteLine("mint-token: " + message);
            }

            return Program.ExitUsage;
        }

        output.WriteLine(TokenMinter.Mint(secret!, subject!, symbols, TimeSpan.FromSeconds(values.Get(s_ttl)), DateTimeOffset.UtcNow));
        return 0;
    }
}
