using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PriceFeed.Server.Hosting;

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
}
