using Microsoft.Extensions.Logging.Abstractions;
using PriceFeed.Server.Hosting;

namespace PriceFeed.Tests.Session;

/// <summary>A real <see cref="FeedServer"/> in this process on a free loopback port, with the simulator as its source.</summary>
internal sealed class LocalFeedServer : IAsyncDisposable
{
    private LocalFeedServer(FeedServer server) => Server = server;

    public FeedServer Server { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Server.Port}/ws");

    /// <summary>Starts a server; <paramref name="options"/> defaults to 20 symbols at 2,000 quotes a second.</summary>
    public static async Task<LocalFeedServer> StartAsync(FeedServerOptions? options = null)
    {
        options ??= new FeedServerOptions { Symbols = 20, Rate = 2_000, Seed = 6 };
        var server = new FeedServer(options with { Host = "127.0.0.1", Port = 0 }, NullLoggerFactory.Instance);
        await server.StartAsync();
        return new LocalFeedServer(server);
    }

    public async ValueTask DisposeAsync() => await Server.StopAsync();
}
