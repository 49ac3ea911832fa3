namespace PriceFeed.LoadTest;

/// <summary>What a scenario measures, which decides how its runs are compared.</summary>
internal enum ScenarioKind
{
    /// <summary>Clients at a constant offered rate: delivered quotes/s and latency.</summary>
    Steady,

    /// <summary>Many mostly idle clients: server memory per connection and connects/s.</summary>
    Connections,

    /// <summary>The offered rate raised step by step until latency or delivery breaks.</summary>
    MaxRate,
}

/// <summary>One load shape, named the same everywhere (issue 5): the server's simulator options and the clients.</summary>
/// <param name="SymbolsPerClient">Random symbols per client; 0 subscribes each client to <c>*</c>.</param>
/// <param name="SlowClients">Extra clients that stall <paramref name="StallMs"/> every <paramref name="StallEveryMs"/>.</param>
internal sealed record Scenario(
    string Name,
    ScenarioKind Kind,
    int Symbols,
    int Clients,
    int SymbolsPerClient,
    int Rate,
    int SlowClients = 0,
    int StallMs = 0,
    int StallEveryMs = 0)
{
    /// <summary>The steps of <c>max</c>, in quotes/s offered by the source (the simulator's ceiling is 1,000,000).</summary>
    public static readonly int[] MaxRateSteps = [10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000, 800_000, 1_000_000];

    /// <summary>The p99 (from source time) past which a <c>max</c> step fails.</summary>
    public const double MaxRateP99LimitMs = 10;

    /// <summary>A <c>max</c> step fails when clients get less than this share of what they got per offered quote at the first step.</summary>
    public const double MaxRateDeliveredShare = 0.9;

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("fanout", ScenarioKind.Steady, Symbols: 1_000, Clients: 100, SymbolsPerClient: 100, Rate: 50_000),
        new("latency", ScenarioKind.Steady, Symbols: 1_000, Clients: 100, SymbolsPerClient: 10, Rate: 10_000),
        new("slow", ScenarioKind.Steady, Symbols: 1_000, Clients: 100, SymbolsPerClient: 100, Rate: 50_000, SlowClients: 10, StallMs: 500, StallEveryMs: 1_000),
        new("all", ScenarioKind.Steady, Symbols: 200, Clients: 20, SymbolsPerClient: 0, Rate: 20_000),
        new("connections", ScenarioKind.Connections, Symbols: 1_000, Clients: 10_000, SymbolsPerClient: 10, Rate: 1_000),
        new("max", ScenarioKind.MaxRate, Symbols: 1_000, Clients: 100, SymbolsPerClient: 100, Rate: MaxRateSteps[0]),
    ];

    public int TotalClients => Clients + SlowClients;

    public static Scenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    public override string ToString()
    {
        var subscription = SymbolsPerClient == 0 ? "*" : $"{SymbolsPerClient} random symbols";
        var slow = SlowClients > 0 ? $", plus {SlowClients} clients stalling {StallMs} ms every {StallEveryMs} ms" : "";
        var rate = Kind == ScenarioKind.MaxRate ? "rising rate" : $"{Rate:N0} quotes/s";
        return $"{Name}: {Symbols:N0} symbols, {Clients:N0} clients x {subscription}{slow}, {rate}";
    }
}
