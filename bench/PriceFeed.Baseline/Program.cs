using System.Net;
using PriceFeed.Baseline;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;

// The broadcaster a competent C# developer writes with ASP.NET Core: Kestrel WebSockets, the
// same simulator in-process, each quote serialized once, a bounded DropOldest channel and one
// writer task per client. Same options as the feed server's simulator:
// dotnet bench/PriceFeed.Baseline/bin/Release/net10.0/PriceFeed.Baseline.dll --port 8090 --symbols 1000 --rate 50000
const string Subprotocol = "pricefeed.v1.proto";

var options = BaselineOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine("baseline: " + error);
    return 2;
}

var simulatorOptions = new SimulatorOptions
{
    Symbols = options.Symbols,
    Rate = options.Rate,
    Duration = options.Duration,
    Seed = options.Seed,
    PacingSlack = options.PacingSlack,
};
var universe = SymbolUniverse.Create(simulatorOptions);
var hub = new QuoteHub(universe);
using var simulator = new QuoteSimulator(simulatorOptions, universe, hub);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.Host), options.Port));
var app = builder.Build();
app.UseWebSockets();

var hello = new Hello
{
    ServerId = $"baseline:{options.Port}",
    Protocol = Subprotocol,
    HeartbeatIntervalMs = 0,
    MaxSymbolsPerClient = (uint)universe.Count,
    SlowConsumerPolicy = "drop",
};

app.MapGet("/healthz", () => Results.Text("{\"status\":\"serving\"}", "application/json"));
app.MapGet("/api/symbols", () => Results.Json(hub.Symbols, BaselineJsonContext.Default.IReadOnlyListString));
app.Map("/ws", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
    {
        // Binary protobuf is the only subprotocol the baseline speaks, and the default when none is offered.
        SubProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(Subprotocol) ? Subprotocol : null,
    });
    var client = new ClientConnection(socket, hub, options.QueueCapacity);
    await client.RunAsync(hello, context.RequestAborted);
});

await app.StartAsync();
simulator.Start();
Console.WriteLine($"baseline: listening on ws://{options.Host}:{options.Port}/ws, {options.Symbols} symbols, {options.Rate} quotes/s, seed {simulator.Seed}");
await app.WaitForShutdownAsync();
simulator.Stop();
return 0;
