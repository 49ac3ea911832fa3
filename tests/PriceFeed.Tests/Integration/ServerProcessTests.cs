using System.Net.WebSockets;
using PriceFeed.Tests.Testing;
using Subprotocols = PriceFeed.Server.Wire.FeedSubprotocols;

namespace PriceFeed.Tests.Integration;

/// <summary>The real server process, started as an operator would: graceful shutdown on SIGTERM, exit codes.</summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task ClientsGetClose1001AndTheProcessExitsWith0OnSigterm()
    {
        using var server = await ServerProcess.StartAsync();
        await using var proto = await FeedClient.ConnectAsync(server.WsUri);
        await using var json = await FeedClient.ConnectAsync(server.WsUri, Subprotocols.JsonV1);
        await proto.ReadHelloAsync();
        await json.ReadHelloAsync();
        await proto.PingAsync(1);

        server.Terminate();
        var protoClose = proto.ReceiveCloseAsync();
        var jsonClose = json.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await protoClose).Status);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await jsonClose).Status);
        Assert.Equal("server shutting down", proto.Socket.CloseStatusDescription);

        // Answer the server's close, as a polite client does, so it need not wait for its close timeout.
        using (var deadline = Eventually.Deadline())
        {
            await proto.Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "", deadline.Token);
            await json.Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "", deadline.Token);
        }

        var exitCode = await server.WaitForExitAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}. Output:\n{server.Output}");
        Assert.Contains("Shutting down", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigtermWithNoClientsExitsWith0()
    {
        using var server = await ServerProcess.StartAsync();

        server.Terminate();

        var exitCode = await server.WaitForExitAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}. Output:\n{server.Output}");
    }

    [Theory]
    [InlineData("--port", "70000", "port")]
    [InlineData("--policy", "fastest", "policy")]
    [InlineData("--heartbeat-ms", "abc", "heartbeat-ms")]
    [InlineData("--ring-size", "1000", "ring-size")]
    public async Task BadOptionValueExitsWith2NamingTheOption(string option, string value, string named)
    {
        using var server = ServerProcess.Run([.. ServerProcess.LightArguments, option, value]);

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 2, $"exit code {exitCode}. Output:\n{server.Output}");
        Assert.Contains($"[stderr] feed-server: --{named}:", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", server.Output, StringComparison.Ordinal);
    }
}
