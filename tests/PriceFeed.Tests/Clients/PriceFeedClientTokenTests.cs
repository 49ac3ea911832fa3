using PriceFeed.Client;
using PriceFeed.Server.Metrics;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Clients;

/// <summary>The C# client refreshing its token through <see cref="PriceFeedClientOptions.TokenRefresher"/>
/// (docs/clients.md, "Token refresh"), through a real server that checks tokens.</summary>
public sealed class PriceFeedClientTokenTests
{
    private static Task<TestServer> StartWithTokensAsync() =>
        TestServer.StartAsync(options => options with { Tokens = TestTokens.Validator(TimeSpan.FromSeconds(30)) });

    [Fact]
    public async Task RefreshesThroughItsCallbackAndStaysConnectedPastTheFirstTokensExp()
    {
        await using var server = await StartWithTokensAsync();
        var refreshes = 0;
        // 8 s tokens: exp is whole seconds, and each refresh at 80% of what is left must make its round trip on a loaded machine.
        var firstExp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 8);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = server.WsUri,
            Token = TestTokens.Mint("alice", ttl: TimeSpan.FromSeconds(8)),
            TokenRefresher = _ =>
            {
                Interlocked.Increment(ref refreshes);
                return ValueTask.FromResult(TestTokens.Mint("alice", ttl: TimeSpan.FromSeconds(8)));
            },
        });
        Assert.Equal(firstExp, client.TokenExpiresAt);
        await using var recorder = new QuoteRecorder(client);
        await client.SubscribeAsync("*");

        // Two token lifetimes: each token is replaced before its exp, so the server never closes with 1008.
        await Task.Delay(firstExp - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(8));
        var count = recorder.Count;
        await Eventually.UntilAsync(() => recorder.Count > count + 100, "quotes still flowing");

        Assert.True(Volatile.Read(ref refreshes) >= 2, $"{refreshes} refreshes");
        Assert.True(client.TokenExpiresAt > firstExp.AddSeconds(2), $"the server confirmed a later exp: {client.TokenExpiresAt:O}");
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.False(recorder.Saw(ConnectionState.Reconnecting), "the client never lost its connection");
        Assert.Equal(0, server.Server.Metrics.AccessDenied.WithLabels(MetricLabels.TokenExpiredInSession).Value);
        Assert.Empty(recorder.Violations);
    }

    [Fact]
    public async Task ReconnectsWithTheLatestTokenOnceTheFirstHasRunOut()
    {
        // No clock skew: the first token is refused at a handshake as soon as its exp passes.
        await using var server = await TestServer.StartAsync(options => options with { Tokens = TestTokens.Validator() });
        await using var relay = new TcpRelay(server.Port);
        // 10 s: exp is whole seconds, and the refresh at 80% of what is left (2 s of slack) must make its round trip on a
        // machine loaded by the whole suite (with 2 and 4 s tokens it lost that race there).
        var firstExp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 10);
        await using var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions
        {
            Url = relay.WsUri,
            Token = TestTokens.Mint("alice", ttl: TimeSpan.FromSeconds(10)),
            TokenRefresher = _ => ValueTask.FromResult(TestTokens.Mint("alice", ttl: TimeSpan.FromMinutes(10))),
        });
        await using var recorder = new QuoteRecorder(client);
        await client.SubscribeAsync("*");
        await Eventually.UntilAsync(() => client.TokenExpiresAt > firstExp.AddMinutes(5), "the refreshed token is confirmed");
        await Task.Delay(firstExp - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1));

        relay.Cut();
        await Eventually.UntilAsync(() => recorder.Saw(ConnectionState.Reconnecting), "the client notices the cut");
        relay.Restore();
        await Eventually.UntilAsync(() => client.State == ConnectionState.Connected, "connected again");
        var count = recorder.Count;
        await Eventually.UntilAsync(() => recorder.Count > count + 100, "quotes flowing again");

        Assert.Equal(0, server.Server.Metrics.AccessDenied.WithLabels(MetricLabels.ExpiredToken).Value);
    }
}
