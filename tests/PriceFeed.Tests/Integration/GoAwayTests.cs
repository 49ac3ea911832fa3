using System.Net.WebSockets;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>
/// Go-away (docs/protocol.md, "Go-away"): a server that shuts down stops accepting, tells every client when to come
/// back (the delays spread over <c>--drain-spread-ms</c>), then closes each with 1001.
/// </summary>
public sealed class GoAwayTests
{
    [Fact]
    public async Task EveryClientIsToldWhenToComeBackSpreadOverTheWindowThenClosedWith1001()
    {
        var server = await TestServer.StartAsync(options => options with { DrainSpreadMs = 4_000 });
        var clients = new List<FeedClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var (client, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri);
                clients.Add(client);
                await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });
            }

            await Eventually.UntilAsync(() => server.Server.Subscriptions.Sessions.Count == 4, "four sessions");
            var stopping = server.DisposeAsync().AsTask();
            var goAways = new List<GoAway>();
            foreach (var client in clients)
            {
                var (status, before) = await Eventually.WithinAsync(client.ReceiveCloseAsync(), "the close");
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
                var messages = before.Select(payload => ServerMessage.Parser.ParseFrom(payload)).ToList();
                var goAway = Assert.Single(messages, m => m.BodyCase == ServerMessage.BodyOneofCase.GoAway).GoAway;
                Assert.Equal("shutdown", goAway.Reason);
                goAways.Add(goAway);
            }

            await stopping;
            Assert.Equal([0u, 1_000u, 2_000u, 3_000u], goAways.Select(g => g.ReconnectAfterMs).Order());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AShutdownDuringABurstStillDeliversTheGoAwayAheadOfTheQueuedQuotes()
    {
        var server = await TestServer.StartAsync(options => options with { Symbols = 200, Rate = 50_000, DrainSpreadMs = 1_000 });
        var (reader, _) = await FeedClient.ConnectAndReadHelloAsync(server.WsUri, receiveBufferBytes: 4096);
        await using var _r = reader;
        try
        {
            // A client that does not read while quotes pour in: its socket is full and its queue has a backlog.
            await reader.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });
            await Eventually.UntilAsync(() => server.Server.Connections.Channels.Any(c => !c.IsWritable), "the client's socket is full");

            var stopping = server.DisposeAsync().AsTask();
            var (status, before) = await Eventually.WithinAsync(reader.ReceiveCloseAsync(), "the close");
            await stopping;

            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            var messages = before.Select(payload => ServerMessage.Parser.ParseFrom(payload)).ToList();
            Assert.Single(messages, m => m.BodyCase == ServerMessage.BodyOneofCase.GoAway);
            // Ahead of the queue: after the go_away only the frames already in the socket, no backlog drained after it.
            var index = messages.FindIndex(m => m.BodyCase == ServerMessage.BodyOneofCase.GoAway);
            Assert.True(index > 0, "quotes were in flight before it");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
