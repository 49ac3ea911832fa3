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

    private static readonly OptionSpec[] s_specs =
    [
        new("auth-secret", "required", "the server's HS256 key (32 bytes or more)"),
        new("sub", "required", "the user, as the sub claim"),
        new("symbols", "all", "comma-separated entitlements: exact symbols and PREFIX*; left out: every symbol"),
        new("ttl", "3600", "seconds until the token expires"),
    ];

    /// <summary>Runs the command with the arguments after <see cref="Name"/>; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var values = OptionValues.Load(args, s_specs, environment);
        if (values.HelpRequested)
        {
            output.WriteLine("Usage: dotnet run -c Release --project feed-server -- mint-token --auth-secret S --sub USER [--symbols 'AAPL,MS*'] [--ttl 3600]");
            foreach (var spec in s_specs)
            {
                output.WriteLine($"  --{spec.Name,-12} {spec.Help} (default: {spec.Default}; env {spec.EnvironmentVariable})");
            }

            return 0;
        }

        var secret = values.GetString("auth-secret");
        var subject = values.GetString("sub");
        var ttl = values.GetInt32("ttl", 3_600, 1, 366 * 86_400);
        var symbols = values.GetString("symbols")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (secret is null)
        {
            values.Fail("auth-secret", "is required: the same key the server runs with.");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(secret) < TokenValidator.MinSecretBytes)
        {
            values.Fail("auth-secret", $"the HS256 key must be at least {TokenValidator.MinSecretBytes} bytes (RFC 7518 3.2).");
        }

        if (subject is null)
        {
            values.Fail("sub", "is required: the user the token is for.");
        }

        if (values.Errors.Count > 0)
        {
            foreach (var message in values.Errors)
            {
                error.WriteLine("mint-token: " + message);
            }

            return Program.ExitUsage;
        }

        output.WriteLine(TokenMinter.Mint(secret!, subject!, symbols, TimeSpan.FromSeconds(ttl), DateTimeOffset.UtcNow));
        return 0;
    }
}
