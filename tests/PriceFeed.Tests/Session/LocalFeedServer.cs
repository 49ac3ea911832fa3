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
    /// <param name="port">0: any free port; a given one to start again where a stopped server was.</param>
    public static async Task<LocalFeedServer> StartAsync(FeedServerOptions? options = null, int port = 0)
    {
        options ??= new FeedServerOptions { Symbols = 20, Rate = 2_000, Seed = 6 };
        var server = new FeedServer(options with { Host = "127.0.0.1", Port = port }, NullLoggerFactory.Instance);
        await server.StartAsync();
        return new LocalFeedServer(server);
    }

    public async ValueTask DisposeAsync() => await Server.StopAsync();
}
