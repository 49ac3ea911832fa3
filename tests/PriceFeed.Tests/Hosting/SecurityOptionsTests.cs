using System.Security.Cryptography.X509Certificates;
using PriceFeed.Server.Hosting;
using PriceFeed.Tests.Security;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Hosting;

public sealed class SecurityOptionsTests
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private static FeedServerOptions Load(string[] args, out IReadOnlyList<string> errors) =>
        FeedServerOptions.Load(args, out errors, out _, s_noEnvironment);

    [Fact]
    public void SecurityIsOffByDefaultAndLimitsHaveTheirDefaults()
    {
        var options = Load([], out var errors);

        Assert.Empty(errors);
        Assert.Null(options.Tokens);
        Assert.False(options.AllowedOrigins.IsRestricted);
        Assert.Null(options.TlsCertificate);
        Assert.Equal(1_000, options.Limits.MaxConnectionsPerIp);
        Assert.Equal(50, options.Limits.ControlMessagesPerSecond);
        Assert.Equal(100, options.Limits.ControlBurst);
        Assert.Equal(256L << 20, options.Limits.MaxQueuedBytes);
    }

    [Fact]
    public void ASecretOf32BytesTurnsTokensOn()
    {
        var options = Load(["--auth-secret", new string('s', 32)], out var errors);

        Assert.Empty(errors);
        Assert.NotNull(options.Tokens);
    }

    [Fact]
    public void AShortSecretIsAnErrorThatDoesNotRepeatIt()
    {
        Load(["--auth-secret", "hunter2-hunter2"], out var errors);

        var error = Assert.Single(errors);
        Assert.StartsWith("--auth-secret:", error, StringComparison.Ordinal);
        Assert.Contains("15 bytes", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSecretIsNotPrintedWithTheOptions()
    {
        var secret = "do-not-print-me-" + new string('x', 32);

        var options = Load(["--auth-secret", secret], out _);

        Assert.DoesNotContain(secret, options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AllowedOriginsAreParsedAndBadOnesNamed()
    {
        var options = Load(["--allowed-origins", "https://a.example, http://localhost:3000"], out var errors);
        Assert.Empty(errors);
        Assert.Equal(["https://a.example", "http://localhost:3000"], options.AllowedOrigins.Allowed);

        Load(["--allowed-origins", "https://a.example/path"], out errors);
        Assert.StartsWith("--allowed-origins:", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadsAPemCertificateWithItsKeyFile()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        var (certPath, keyPath, folder) = TestCertificates.WritePem(certificate);
        try
        {
            var options = Load(["--tls-cert", certPath, "--tls-key", keyPath], out var errors);

            Assert.Empty(errors);
            Assert.True(options.TlsCertificate!.HasPrivateKey);
            Assert.Equal(certificate.Thumbprint, options.TlsCertificate.Thumbprint);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LoadsAPfx()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        var folder = Directory.CreateTempSubdirectory("pricefeed-tls-").FullName;
        var pfx = Path.Combine(folder, "server.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx));
        try
        {
            var options = Load(["--tls-cert", pfx], out var errors);

            Assert.Empty(errors);
            Assert.True(options.TlsCertificate!.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ACertificateWithoutItsKeyIsAnErrorNamingTheOption()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        var (certPath, _, folder) = TestCertificates.WritePem(certificate);
        try
        {
            Load(["--tls-cert", certPath], out var errors);
            Assert.StartsWith("--tls-cert:", Assert.Single(errors), StringComparison.Ordinal);

            Load(["--tls-cert", Path.Combine(folder, "missing.crt"), "--tls-key", Path.Combine(folder, "missing.key")], out errors);
            Assert.StartsWith("--tls-cert:", Assert.Single(errors), StringComparison.Ordinal);

            Load(["--tls-key", certPath], out errors);
            Assert.StartsWith("--tls-key:", Assert.Single(errors), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AbuseLimitsAreOptions()
    {
        var options = Load(
            ["--max-connections-per-ip", "5", "--control-messages-per-second", "7", "--control-burst", "9", "--max-queued-bytes", "1048576"],
            out var errors);

        Assert.Empty(errors);
        Assert.Equal(5, options.Limits.MaxConnectionsPerIp);
        Assert.Equal(7, options.Limits.ControlMessagesPerSecond);
        Assert.Equal(9, options.Limits.ControlBurst);
        Assert.Equal(1_048_576, options.Limits.MaxQueuedBytes);

        Load(["--max-queued-bytes", "1000"], out errors);
        Assert.StartsWith("--max-queued-bytes:", Assert.Single(errors), StringComparison.Ordinal);
    }
}
