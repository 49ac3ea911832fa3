using System.Net.Security;
using PriceFeed.Tests.Security;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>https and wss with a self-signed certificate made in the test, through real clients.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task ServesHttpsAndWssWithTheConfiguredCertificate()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        await using var server = await TestServer.StartAsync(options => options with { TlsCertificate = certificate });
        RemoteCertificateValidationCallback pinned = (_, presented, _, _) => TestCertificates.IsExpected(presented, certificate);

        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = pinned } });
        var health = await http.GetStringAsync(new Uri(server.BaseUri, "/healthz"));
        Assert.Equal("https", server.BaseUri.Scheme);
        Assert.Contains("\"status\":\"serving\"", health, StringComparison.Ordinal);

        Assert.Equal("wss", server.WsUri.Scheme);
        await using var client = await FeedClient.ConnectAsync(server.WsUri, configure: o => o.RemoteCertificateValidationCallback = pinned);
        Assert.Equal(PriceFeed.Protocol.V1.ServerMessage.BodyOneofCase.Hello, (await client.ReceiveAsync()).BodyCase);
        await client.PingAsync(123);
    }

    [Fact]
    public async Task ServesWssWithTokensToo()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        await using var server = await TestServer.StartAsync(options => options with { TlsCertificate = certificate, Tokens = TestTokens.Validator() });
        RemoteCertificateValidationCallback pinned = (_, presented, _, _) => TestCertificates.IsExpected(presented, certificate);

        var uri = new Uri($"{server.WsUri}?token={TestTokens.Mint()}");
        await using var client = await FeedClient.ConnectAsync(uri, configure: o => o.RemoteCertificateValidationCallback = pinned);

        Assert.Equal(PriceFeed.Protocol.V1.ServerMessage.BodyOneofCase.Hello, (await client.ReceiveAsync()).BodyCase);
        await client.PingAsync(1);
    }

    [Fact]
    public async Task ClosesAPlainTextConnectionToTheTlsPort()
    {
        using var certificate = TestCertificates.CreateSelfSigned();
        await using var server = await TestServer.StartAsync(options => options with { TlsCertificate = certificate });
        using var connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        Assert.Empty(await connection.ReadToEndAsync());
    }
}
