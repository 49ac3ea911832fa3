using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PriceFeed.Server.Hosting;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Sources;

namespace PriceFeed.Tests.Testing;

/// <summary>A real <see cref="FeedServer"/> in this process, on 127.0.0.1 and a port the OS picks.</summary>
/// <remarks>
/// Light on purpose (50 symbols at 1000 quotes/s, a blocking wait strategy, so no core spins) because
/// the machine is shared. Always use it with <c>await using</c>: the server stops even when the test
/// fails. Declare clients after it so they are disposed first and the server's close handshake with
/// them does not wait for its timeout.
/// </remarks>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly Lazy<HttpClient> _httpClient;

    private TestServer(FeedServer server)
    {
        Server = server;
        var secure = server.Options.TlsCertificate is not null;
        BaseUri = new Uri($"{(secure ? "https" : "http")}://127.0.0.1:{server.Port}/");
        WsUri = new Uri($"{(secure ? "wss" : "ws")}://127.0.0.1:{server.Port}/ws");
        _httpClient = new Lazy<HttpClient>(() => new HttpClient { BaseAddress = BaseUri, Timeout = Eventually.DefaultTimeout });
    }

    /// <summary>The options every test server starts from, before the test's own overrides.</summary>
    public static FeedServerOptions DefaultOptions { get; } = new()
    {
        Host = "127.0.0.1",
        Port = 0,
        Symbols = 50,
        Rate = 1_000,
        Seed = 42,
        RingSize = 4_096,
        WaitStrategy = WaitStrategyKind.Blocking,
        ServerId = "integration-test",
        Limits = new FeedServerLimits
        {
            // Short, so that stopping a server whose client does not answer its close takes little time.
            CloseTimeoutMs = 1_000,
        },
    };

    public FeedServer Server { get; }

    /// <summary>The port actually bound.</summary>
    public int Port => Server.Port;

    /// <summary><c>http://127.0.0.1:PORT/</c> (<c>https</c> with a certificate).</summary>
    public Uri BaseUri { get; }

    /// <summary><c>ws://127.0.0.1:PORT/ws</c> (<c>wss</c> with a certificate).</summary>
    public Uri WsUri { get; }

    /// <summary>A client whose base address is this server; disposed with it.</summary>
    public HttpClient HttpClient => _httpClient.Value;

    /// <summary>Starts a server with <see cref="DefaultOptions"/>, changed by <paramref name="configure"/> if given.</summary>
    public static async Task<TestServer> StartAsync(
        Func<FeedServerOptions, FeedServerOptions>? configure = null, QuoteSourceFactory? source = null, ILoggerFactory? loggerFactory = null)
    {
        var options = configure is null ? DefaultOptions : configure(DefaultOptions);
        var server = new FeedServer(options, loggerFactory ?? NullLoggerFactory.Instance, source);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return new TestServer(server);
    }

    /// <summary>Starts a server whose limits are <see cref="DefaultOptions"/>' changed by <paramref name="configure"/>.</summary>
    public static Task<TestServer> StartWithLimitsAsync(Func<FeedServerLimits, FeedServerLimits> configure) =>
        StartAsync(options => options with { Limits = configure(options.Limits) });

    public async ValueTask DisposeAsync()
    {
        if (_httpClient.IsValueCreated)
        {
            _httpClient.Value.Dispose();
        }

        await Server.StopAsync();
    }
}
