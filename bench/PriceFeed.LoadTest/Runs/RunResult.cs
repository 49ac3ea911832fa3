namespace PriceFeed.LoadTest.Runs;

/// <summary>Everything one run of one scenario against one server measured.</summary>
internal sealed record RunResult
{
    public required string Scenario { get; init; }

    public required string Target { get; init; }

    public required int Repetition { get; init; }

    /// <summary>The rate the source offered, quotes/s.</summary>
    public required int OfferedRate { get; init; }

    public required int Clients { get; init; }

    public required int SlowClients { get; init; }

    /// <summary>The length of the measured window actually used, seconds.</summary>
    public double WindowSeconds { get; init; }

    /// <summary>Quotes all clients received in the window; equals FastQuotes + SlowQuotes and the histograms' counts.</summary>
    public long Quotes { get; init; }

    public long FastQuotes { get; init; }

    public long SlowQuotes { get; init; }

    public long Frames { get; init; }

    public double QuotesPerSecond { get; init; }

    public double FramesPerSecond { get; init; }

    /// <summary>Fast clients, from publish_time_ns to receipt: the server's own part.</summary>
    public LatencySummary FastFromPublish { get; init; } = LatencySummary.Empty;

    /// <summary>Fast clients, from source_time_ns (the scheduled time) to receipt.</summary>
    public LatencySummary FastFromSource { get; init; } = LatencySummary.Empty;

    public LatencySummary SlowFromPublish { get; init; } = LatencySummary.Empty;

    public LatencySummary SlowFromSource { get; init; } = LatencySummary.Empty;

    /// <summary>Fast clients, send_time_ns - publish_time_ns per quote: the server's fan-out and queueing; null when the server does not stamp send_time_ns.</summary>
    public LatencySummary? FastServerSide { get; init; }

    /// <summary>Fast clients, receipt - send_time_ns per quote: the network and the client's reading; null when the server does not stamp send_time_ns.</summary>
    public LatencySummary? FastNetwork { get; init; }

    public LatencySummary? SlowServerSide { get; init; }

    public LatencySummary? SlowNetwork { get; init; }

    public long SeqViolations { get; init; }

    /// <summary>(client, symbol) pairs whose last seq is older than a fresh snapshot's once the source stopped; null: not checked.</summary>
    public long? StaleSymbols { get; init; }

    public long ProtocolErrors { get; init; }

    /// <summary>Clients whose connection ended before the run did, with the first reason.</summary>
    public int ClientsLost { get; init; }

    public string? FirstLossReason { get; init; }

    /// <summary>Server CPU in the window as a share of one core (1.0 = one core busy); null for a --url server.</summary>
    public double? ServerCpuCores { get; init; }

    /// <summary>The load tool's own CPU in the window, as a share of one core.</summary>
    public double ToolCpuCores { get; init; }

    public long? ServerPeakRssBytes { get; init; }

    /// <summary>Server resident set at the start and the end of the window (flat memory under slow clients).</summary>
    public long? ServerRssAtWindowStartBytes { get; init; }

    public long? ServerRssAtWindowEndBytes { get; init; }

    /// <summary>Connect phase: WebSocket handshake, hello and subscribe sent, for every client.</summary>
    public double ConnectsPerSecond { get; init; }

    /// <summary>Server resident set growth from before connecting to all connected and settled, per connection.</summary>
    public double? ServerBytesPerConnection { get; init; }

    /// <summary>For a <c>max</c> step: whether it held (p99 under the limit, clients kept up).</summary>
    public bool? Sustained { get; init; }

    public string? Verdict { get; init; }
}
