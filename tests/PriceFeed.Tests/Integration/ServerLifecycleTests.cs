using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Ring;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Starting and stopping the in-process server.</summary>
public sealed class ServerLifecycleTests
{
    /// <summary>DotNetty's graceful shutdown gives up after 2 s; a server with nothing to close must not wait that out.</summary>
    private static readonly TimeSpan s_eventLoopShutdownTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task StopsWithoutWaitingOutTheEventLoopShutdownTimeoutWhenNoClientIsConnected()
    {
        var server = new FeedServer(TestServer.DefaultOptions, NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync();
            var stopwatch = Stopwatch.StartNew();

            await server.StopAsync();

            Assert.True(stopwatch.Elapsed < s_eventLoopShutdownTimeout, $"stopping took {stopwatch.ElapsedMilliseconds} ms");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>
    /// With the fan-out on an event loop, the loops must outlive the source: a source still publishing into a ring
    /// nobody consumes any more waits for room forever, and the server never stops (seen as a process that did not
    /// exit after SIGTERM). A small ring and a fast simulator fill the ring within microseconds of the loops stopping.
    /// </summary>
    [Theory]
    [InlineData("event-loop")]
    [InlineData("blocking")]
    [InlineData("spin-then-block")]
    public async Task StopsWhileTheSourceIsPublishingFasterThanASmallRingHolds(string strategy)
    {
        var waitStrategy = WaitStrategies.Parse(strategy);
        var options = TestServer.DefaultOptions with { WaitStrategy = waitStrategy, RingSize = 16, Rate = 200_000 };
        var server = new FeedServer(options, NullLoggerFactory.Instance);
        var stop = Task.CompletedTask;
        try
        {
            await server.StartAsync();
            var (client, _) = await FeedClient.ConnectAndReadHelloAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws"));
            await using var _c = client;
            await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { "*" } } });
            for (var i = 0; i < 20; i++)
            {
                await client.ReceiveAsync();
            }

            stop = server.StopAsync();
            var finished = await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(10)));

            Assert.True(finished == stop, $"the server ({WaitStrategies.NameOf(waitStrategy)}) did not stop within 10 s");
            await stop;
        }
        finally
        {
            if (stop.IsCompleted)
            {
                await server.DisposeAsync();
            }
        }
    }
}
