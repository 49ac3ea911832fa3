using System.Diagnostics;
using System.Net.WebSockets;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Server pings: a peer that answers nothing is dropped after about two intervals; one that answers stays.</summary>
public sealed class HeartbeatTests
{
    private const int IntervalMs = 300;

    /// <summary>Longer for the client that must stay. With server and client in one test process on a loaded
    /// machine, a ping has been seen to reach the client 300-900 ms late, which at 300 ms drops an answering
    /// client; against the server as its own process, clients answering 300 ms pings stayed up.</summary>
    private const int AnsweredIntervalMs = 1_500;

    [Fact]
    public async Task SilentClientReceivesPingsAndIsDisconnectedAfterAboutTwoIntervals()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { HeartbeatIntervalMs = IntervalMs });
        // Started before the handshake, so the server's silence clock (from the upgrade) cannot start before this one.
        var stopwatch = Stopwatch.StartNew();
        using var silent = await RawConnection.UpgradeAsync(server.Port);

        var pings = new List<ServerFrame>();
        while (await silent.ReadFrameOrEndAsync() is { } frame)
        {
            Assert.Equal(WebSocketOpcode.Ping, frame.Opcode);
            pings.Add(frame);
        }

        var elapsed = stopwatch.ElapsedMilliseconds;
        Assert.NotEmpty(pings);
        Assert.All(pings, p => Assert.Equal(sizeof(long), p.Payload.Length));
        // Silent for more than two intervals: dropped at the first beat after that (above: only the read timeout).
        Assert.True(elapsed >= (2 * IntervalMs) - 20, $"disconnected after {elapsed} ms, before two {IntervalMs} ms intervals");
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 0, "the server forgets the silent client");
    }

    [Fact]
    public async Task ClientThatAnswersPingsOutlivesASilentOneBySeveralIntervals()
    {
        await using var server = await TestServer.StartWithLimitsAsync(l => l with { HeartbeatIntervalMs = AnsweredIntervalMs });

        // No keep-alive frames of its own: only its answers to the server's pings keep it alive.
        await using var good = await FeedClient.ConnectAsync(server.WsUri, configure: o => o.KeepAliveInterval = TimeSpan.Zero);
        var hello = await good.ReadHelloAsync();
        Assert.Equal((uint)AnsweredIntervalMs, hello.HeartbeatIntervalMs);
        var connected = Stopwatch.StartNew();

        // ClientWebSocket answers pings only while a receive is pending: keep one pending throughout.
        var pending = good.ReceiveRawAsync();

        using (var silent = await RawConnection.UpgradeAsync(server.Port))
        {
            await silent.ReadToEndAsync();
        }

        // The silent one is gone; give the good one several intervals in all, watching that nothing closes it.
        await Eventually.UntilAsync(() => pending.IsCompleted || connected.ElapsedMilliseconds > 3 * AnsweredIntervalMs, "three heartbeat intervals pass");
        Assert.False(pending.IsCompleted, $"the good client was closed early ({(int?)good.Socket.CloseStatus}, {pending.Exception?.Message})");
        Assert.Equal(WebSocketState.Open, good.Socket.State);
        Assert.Equal(1, server.Server.Connections.Open);

        await good.SendAsync(new ClientMessage { Ping = new Ping { ClientTimeNs = 99 } });
        var (_, payload) = await Eventually.WithinAsync(pending, "the pong");
        Assert.Equal(99L, ServerMessage.Parser.ParseFrom(payload).Pong.ClientTimeNs);
    }
}
