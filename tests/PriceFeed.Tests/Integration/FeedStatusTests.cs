using System.Text.Json;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// Feed status (docs/protocol.md, "Feed status"): when the source becomes unreachable every client is told
/// <c>stale</c> and why, at once; a client that connects meanwhile is told right after <c>hello</c>; /healthz and
/// /metrics say the same; <c>live</c> follows when the source is back.
/// </summary>
public sealed class FeedStatusTests
{
    private static readonly string[] s_symbols = ["AAA", "BBB"];

    [Fact]
    public async Task ClientsAreToldStaleAndWhyThenLiveAndSoAreHealthzAndMetrics()
    {
        ScriptedQuoteSource source = null!;
        await using var server = await TestServer.StartAsync(source: ScriptedQuoteSource.Factory(s => source = s, s_symbols));
        var (connected, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = connected;
        Assert.Equal("live", (await HealthAsync(server)).GetProperty("feed").GetString());

        source.ChangeStatus(live: false, "bus_down");
        var stale = await NextStatusAsync(connected);
        Assert.Equal(("stale", "bus_down"), (stale.State, stale.Reason));
        Assert.True(stale.SinceNs > 0);

        // Connecting while stale: hello, then the status.
        var late = await FeedClient.ConnectAsync(server.WsUri);
        await using var _l = late;
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, (await late.ReceiveAsync()).BodyCase);
        var told = await late.ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.Status, told.BodyCase);
        Assert.Equal(("stale", "bus_down", stale.SinceNs), (told.Status.State, told.Status.Reason, told.Status.SinceNs));

        var health = await HealthAsync(server);
        Assert.Equal(("stale", "bus_down"), (health.GetProperty("feed").GetString(), health.GetProperty("feedReason").GetString()));
        Assert.Contains("pricefeed_feed_live 0", await server.HttpClient.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

        source.ChangeStatus(live: true);
        foreach (var client in new[] { connected, late })
        {
            var live = await NextStatusAsync(client);
            Assert.Equal(("live", ""), (live.State, live.Reason));
        }

        Assert.Equal("live", (await HealthAsync(server)).GetProperty("feed").GetString());
        Assert.Contains("pricefeed_feed_live 1", await server.HttpClient.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
    }

    [Fact]
    public async Task TheSimulatorStoppedByItsDurationIsNotStale()
    {
        await using var server = await TestServer.StartAsync(options => options with { Duration = 0.2 });
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
        await using var _c = client;
        await Eventually.UntilAsync(() => server.Server.Source.Completion.IsCompleted, "the simulator's run ends");

        Assert.Equal("live", (await HealthAsync(server)).GetProperty("feed").GetString());
        var pong = await client.PingAsync(7);
        Assert.Equal(7, pong.ClientTimeNs);
    }

    private static async Task<FeedStatus> NextStatusAsync(FeedClient client)
    {
        while (true)
        {
            var message = await Eventually.WithinAsync(client.ReceiveAsync(), "a status message");
            if (message.BodyCase == ServerMessage.BodyOneofCase.Status)
            {
                return message.Status;
            }
        }
    }

    private static async Task<JsonElement> HealthAsync(TestServer server) =>
        JsonDocument.Parse(await server.HttpClient.GetStringAsync(new Uri("/healthz", UriKind.Relative))).RootElement;
}
