using PriceFeed.Server.Hosting;
using PriceFeed.Server.Security;
using PriceFeed.Tests.Security;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Hosting;

public sealed class MintTokenCommandTests
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private static (int ExitCode, string Output, string Error) Run(string[] args, Dictionary<string, string>? environment = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = MintTokenCommand.Run(args, output, error, environment ?? s_noEnvironment);
        return (exit, output.ToString().Trim(), error.ToString());
    }

    [Fact]
    public async Task PrintsATokenTheServerAccepts()
    {
        var (exit, token, _) = Run(["--auth-secret", TestTokens.Secret, "--sub", "alice", "--symbols", "AAPL,MS*", "--ttl", "600"]);

        Assert.Equal(0, exit);
        var check = await TestTokens.Validator().ValidateAsync(token);
        Assert.Equal(TokenStatus.Valid, check.Status);
        Assert.Equal("alice", check.Identity!.Subject);
        Assert.Equal("AAPL,MS*", check.Identity.Entitlements.ToString());
    }

    [Fact]
    public async Task TakesTheSecretFromTheEnvironment()
    {
        var (exit, token, _) = Run(["--sub", "bob"], new() { ["PRICEFEED_AUTH_SECRET"] = TestTokens.Secret });

        Assert.Equal(0, exit);
        Assert.True((await TestTokens.Validator().ValidateAsync(token)).Identity!.Entitlements.AllowsAll);
    }

    [Fact]
    public void MissingOrShortArgumentsExitWith2AndSayWhich()
    {
        var (exit, output, error) = Run(["--auth-secret", "short"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("--auth-secret", error, StringComparison.Ordinal);
        Assert.Contains("--sub", error, StringComparison.Ordinal);
    }
}
