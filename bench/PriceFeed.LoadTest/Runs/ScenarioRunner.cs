using System.Diagnostics;
using System.Net.Http.Json;
using PriceFeed.LoadTest.Clients;
using PriceFeed.LoadTest.Servers;

namespace PriceFeed.LoadTest.Runs;

/// <summary>
/// Runs one scenario once against one server: start it (or use <c>--url</c>), connect and subscribe
/// the clients, warm up, measure a window, let the source stop, check convergence, stop the server.
/// </summary>
internal sealed class ScenarioRunner
{
    /// <summary>Handshakes in flight at once while connecting: enough to measure the server's accept rate, not a SYN flood.</summary>
    private const int ConnectConcurrency = 200;

    /// <summary>Clients share this many latency-histogram shards (a lock each).</summary>
    private const int LatencyShards = 16;

    /// <summary>The source is quiet and delivery is over when no client has received anything for this long.</summary>
    private static readonly TimeSpan s_quietPeriod = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan s_quietTimeout = TimeSpan.FromSeconds(30);

    // One client for every HTTP request of the process (health checks, symbol lists), as HttpClient is meant to be used.
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly LoadTestOptions _options;
    private readonly Progress _progress;

    public ScenarioRunner(LoadTestOptions options, Progress progress)
    {
        _options = options;
        _progress = progress;
    }

    /// <summary>Runs the scenario against <paramref name="target"/> with the source at <paramref name="rate"/> quotes/s.</summary>
    public async Task<RunResult> RunAsync(Target target, int rate, int repetition, CancellationToken cancellationToken)
    {
        var scenario = _options.Scenario;
        var label = $"{scenario.Name} {target.Name()} #{repetition}" + (scenario.Kind == ScenarioKind.MaxRate ? $" @{rate:N0}/s" : "");
        ServerProcess? server = null;
        var clients = new List<FeedClient>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiveLoops = new List<Task>();
        try
        {
            // The source runs long enough to cover connecting, the warm-up and the window, then stops: convergence is checked after.
            // Connecting is allowed 250 clients a second (10,000 in 43 s) on a busy machine; a slower connect phase shortens the window, which the result shows.
            var connectAllowance = TimeSpan.FromSeconds(3 + (scenario.TotalClients / 250.0));
            var sourceDuration = connectAllowance + _options.Warmup + _options.Duration + TimeSpan.FromSeconds(1);
            long sourceStopsAt = long.MaxValue;
            Uri uri;
            if (target == Target.Url)
            {
                uri = _options.Url!;
            }
            else
            {
                var command = ServerLocator.For(target, _options);
                // Every load-tool client comes from 127.0.0.1: lift our server's per-address limit (1,000 by default).
                string[] ownOptions = target == Target.Ours ? ["--max-connections-per-ip", "1000000"] : [];
                server = ServerProcess.Start(command, scenario, rate, sourceDuration, _options.Seed, _options.PacingSlackMs, _options.ServerCpus, ownOptions);
                sourceStopsAt = Stopwatch.GetTimestamp() + Ticks(sourceDuration);
                await server.WaitUntilServingAsync(s_http, TimeSpan.FromSeconds(30));
                uri = server.WebSocketUri;
            }

            var symbols = await s_http.GetFromJsonAsync<string[]>(new Uri(ToHttp(uri), "/api/symbols"), cancellationToken)
                ?? throw new InvalidOperationException("/api/symbols returned nothing.");
            var index = new SymbolIndex(symbols);
            var state = new RunState();
            var fast = new LatencyRecorder(LatencyShards);
            var slow = new LatencyRecorder(LatencyShards);
            CreateClients(scenario, index, state, fast, slow, clients);

            // Connect phase: memory per connection and connects/s.
            var rssBefore = server?.ReadStats()?.RssBytes;
            var connectStart = Stopwatch.GetTimestamp();
            var connectFailures = await ConnectAllAsync(clients, uri, label, stop.Token);
            var connectSeconds = Stopwatch.GetElapsedTime(connectStart).TotalSeconds;
            _progress.Line(label, $"{clients.Count - connectFailures.Count:N0} clients connected and subscribed in {connectSeconds:F1} s, {connectFailures.Count} failed");
            foreach (var client in clients.Where(c => !connectFailures.ContainsKey(c.Id)))
            {
                receiveLoops.Add(Task.Run(() => client.ReceiveLoopAsync(stop.Token), CancellationToken.None));
            }

            double? bytesPerConnection = null;
            if (scenario.Kind == ScenarioKind.Connections && server is not null)
            {
                // Let the snapshots and first updates go out, so the figure is a connection at rest.
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                var rssAfter = server.ReadStats()?.RssBytes;
                var connected = clients.Count - connectFailures.Count;
                bytesPerConnection = rssBefore is { } before && rssAfter is { } after && connected > 0 ? (double)(after - before) / connected : null;
            }

            await TickAsync(label, "warm-up", _options.Warmup, clients, server, cancellationToken);

            // The measured window; cut short (and reported as such) if the source would stop inside it.
            var window = _options.Duration;
            var untilSourceStops = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), sourceStopsAt) - TimeSpan.FromSeconds(0.5);
            if (untilSourceStops < window)
            {
                window = untilSourceStops > TimeSpan.FromSeconds(1) ? untilSourceStops : TimeSpan.FromSeconds(1);
            }

            var serverBefore = server?.ReadStats();
            var toolCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var windowStart = Stopwatch.GetTimestamp();
            state.Measuring = true;
            await TickAsync(label, "measuring", window, clients, server, cancellationToken);
            state.Measuring = false;
            var windowSeconds = Stopwatch.GetElapsedTime(windowStart).TotalSeconds;
            var toolCpu = (Process.GetCurrentProcess().TotalProcessorTime - toolCpuBefore).TotalSeconds;
            var serverAfter = server?.ReadStats();

            // Convergence: stop stalling, let the source stop and delivery settle, compare with a fresh snapshot.
            state.Stalling = false;
            long? stale = null;
            string? convergence = null;
            if (server is not null)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), sourceStopsAt);
                if (wait > TimeSpan.Zero)
                {
                    _progress.Line(label, $"waiting {wait.TotalSeconds:F0} s for the source to stop");
                    await Task.Delay(wait, cancellationToken);
                }
            }

            if (await WaitQuietAsync(clients, server is null ? s_quietPeriod * 3 : s_quietTimeout, cancellationToken))
            {
                stale = await CountStaleAsync(clients, connectFailures, uri, index, state, stop.Token);
                convergence = stale is null ? "convergence not checked: a fresh client got no snapshot within 10 s" : null;
            }
            else
            {
                convergence = "convergence not checked: deliveries did not stop";
            }

            var serverEnd = server?.ReadStats();
            var (fastPublish, fastSource, fastServerSide, fastNetwork) = fast.Merge();
            var (slowPublish, slowSource, slowServerSide, slowNetwork) = slow.Merge();
            var fastQuotes = clients.Where(c => !c.IsSlow).Sum(c => c.MeasuredQuotes);
            var slowQuotes = clients.Where(c => c.IsSlow).Sum(c => c.MeasuredQuotes);
            var frames = clients.Sum(c => c.MeasuredFrames);
            var lost = clients.Where(c => c.ClosedReason is not null).Select(c => c.ClosedReason!)
                .Concat(connectFailures.Values).ToList();

            return new RunResult
            {
                Scenario = scenario.Name,
                Target = target.Name(),
                Repetition = repetition,
                OfferedRate = rate,
                Clients = scenario.Clients,
                SlowClients = scenario.SlowClients,
                WindowSeconds = Math.Round(windowSeconds, 2),
                Quotes = fastQuotes + slowQuotes,
                FastQuotes = fastQuotes,
                SlowQuotes = slowQuotes,
                Frames = frames,
                QuotesPerSecond = Math.Round((fastQuotes + slowQuotes) / windowSeconds),
                FramesPerSecond = Math.Round(frames / windowSeconds),
                FastFromPublish = LatencySummary.From(fastPublish),
                FastFromSource = LatencySummary.From(fastSource),
                SlowFromPublish = LatencySummary.From(slowPublish),
                SlowFromSource = LatencySummary.From(slowSource),
                FastServerSide = LatencySummary.FromStamped(fastServerSide),
                FastNetwork = LatencySummary.FromStamped(fastNetwork),
                SlowServerSide = LatencySummary.FromStamped(slowServerSide),
                SlowNetwork = LatencySummary.FromStamped(slowNetwork),
                SeqViolations = clients.Sum(c => c.SeqViolations),
                StaleSymbols = stale,
                ProtocolErrors = clients.Sum(c => c.Errors),
                ClientsLost = lost.Count,
                FirstLossReason = lost.FirstOrDefault(),
                ServerCpuCores = serverBefore is { } b && serverAfter is { } a ? Math.Round((a.CpuTime - b.CpuTime).TotalSeconds / windowSeconds, 2) : null,
                ToolCpuCores = Math.Round(toolCpu / windowSeconds, 2),
                ServerPeakRssBytes = serverEnd?.PeakRssBytes ?? serverAfter?.PeakRssBytes,
                ServerRssAtWindowStartBytes = serverBefore?.RssBytes,
                ServerRssAtWindowEndBytes = serverAfter?.RssBytes,
                ConnectsPerSecond = Math.Round((clients.Count - connectFailures.Count) / connectSeconds),
                ServerBytesPerConnection = bytesPerConnection is { } perConnection ? Math.Round(perConnection) : null,
                Verdict = convergence,
            };
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var client in clients)
            {
                client.Dispose();
            }

            await Task.WhenAll(receiveLoops);
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static Uri ToHttp(Uri webSocket) =>
        new UriBuilder(webSocket) { Scheme = webSocket.Scheme == "wss" ? "https" : "http", Path = "/" }.Uri;

    private void CreateClients(Scenario scenario, SymbolIndex index, RunState state, LatencyRecorder fast, LatencyRecorder slow, List<FeedClient> clients)
    {
        var perClient = Math.Min(scenario.SymbolsPerClient, index.Count);
        // Big enough for most frames of ours (up to 64 KiB) without growing; far less for thousands of idle clients.
        var bufferBytes = scenario.TotalClients > 1_000 ? 4 * 1024 : 64 * 1024;
        for (var id = 0; id < scenario.TotalClients; id++)
        {
            var random = new Random(HashCode.Combine(_options.Seed, id));
            var all = Enumerable.Range(0, index.Count).ToArray();
            random.Shuffle(all);
            var symbols = all[..perClient];

            var isSlow = id >= scenario.Clients;
            clients.Add(new FeedClient(
                id, symbols, index, state, isSlow ? slow : fast, isSlow ? scenario.StallMs : 0, scenario.StallEveryMs, bufferBytes));
        }
    }

    private async Task<Dictionary<int, string>> ConnectAllAsync(List<FeedClient> clients, Uri uri, string label, CancellationToken cancellationToken)
    {
        var failures = new Dictionary<int, string>();
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) };
        using var invoker = new HttpMessageInvoker(handler);
        using var gate = new SemaphoreSlim(ConnectConcurrency);
        var connected = 0;
        var tasks = clients.Select(async client =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await client.ConnectAndSubscribeAsync(uri, invoker, cancellationToken);
                var done = Interlocked.Increment(ref connected);
                if (done % 1000 == 0)
                {
                    _progress.Update(label, $"connected {done:N0}/{clients.Count:N0}");
                }
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or InvalidOperationException or IOException)
            {
                lock (failures)
                {
                    failures[client.Id] = "connect failed: " + ex.Message;
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
        return failures;
    }

    /// <summary>Waits <paramref name="length"/>, showing the progress line every second.</summary>
    private async Task TickAsync(string label, string phase, TimeSpan length, List<FeedClient> clients, ServerProcess? server, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var lastQuotes = clients.Sum(c => c.Quotes);
        var lastFrames = clients.Sum(c => c.Frames);
        var lastServerCpu = server?.ReadStats()?.CpuTime;
        var lastToolCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var last = start;
        while (Stopwatch.GetElapsedTime(start) < length)
        {
            var remaining = length - Stopwatch.GetElapsedTime(start);
            await Task.Delay(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), cancellationToken);
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(last, now).TotalSeconds;
            var quotes = clients.Sum(c => c.Quotes);
            var frames = clients.Sum(c => c.Frames);
            var stats = server?.ReadStats();
            var toolCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var serverCpu = stats is { } s && lastServerCpu is { } l ? $" | server {(s.CpuTime - l).TotalSeconds / seconds:P0} cpu, {s.RssBytes / (1024 * 1024):N0} MB" : "";
            var live = clients.Count(c => c.ClosedReason is null);
            _progress.Update(
                label,
                $"{phase} {Stopwatch.GetElapsedTime(start).TotalSeconds:F0}/{length.TotalSeconds:F0} s | {(quotes - lastQuotes) / seconds:N0} quotes/s | {(frames - lastFrames) / seconds:N0} frames/s{serverCpu} | tool {(toolCpu - lastToolCpu).TotalSeconds / seconds:P0} cpu | {live:N0}/{clients.Count:N0} clients");
            (lastQuotes, lastFrames, lastServerCpu, lastToolCpu, last) = (quotes, frames, stats?.CpuTime, toolCpu, now);
            if (server is { HasExited: true })
            {
                throw new InvalidOperationException($"The server exited during the run:{Environment.NewLine}{server.Tail}");
            }
        }
    }

    /// <summary>True once no client has received anything for <see cref="s_quietPeriod"/>; false after <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitQuietAsync(List<FeedClient> clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var latest = clients.Count == 0 ? 0 : clients.Max(c => c.LastReceiveTicks);
            if (Stopwatch.GetElapsedTime(latest) >= s_quietPeriod)
            {
                return true;
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>
    /// Subscribes a fresh client to <c>*</c> and counts (client, symbol) pairs whose last seq is older
    /// than its snapshot; null when no snapshot comes within 10 s.
    /// </summary>
    private static async Task<long?> CountStaleAsync(
        List<FeedClient> clients, Dictionary<int, string> connectFailures, Uri uri, SymbolIndex index, RunState state, CancellationToken cancellationToken)
    {
        using var fresh = new FeedClient(-1, [], index, state, new LatencyRecorder(1), 0, 0, 64 * 1024);
        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);
        await fresh.ConnectAndSubscribeAsync(uri, invoker, cancellationToken);
        using var snapshotWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = fresh.ReceiveLoopAsync(snapshotWait.Token);
        var deadline = Stopwatch.GetTimestamp() + Ticks(TimeSpan.FromSeconds(10));
        while (fresh.SnapshotQuotes == 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        await snapshotWait.CancelAsync();
        await receiving;
        if (fresh.SnapshotQuotes == 0)
        {
            // Not a figure: the server did not answer a new client in time, which the run reports instead.
            return null;
        }

        long stale = 0;
        foreach (var client in clients.Where(c => !connectFailures.ContainsKey(c.Id)))
        {
            IEnumerable<int> subscribed = client.IsWildcard ? Enumerable.Range(0, index.Count) : client.Symbols;
            foreach (var symbol in subscribed)
            {
                if (client.LastSeq(symbol) < fresh.LastSeq(symbol))
                {
                    stale++;
                }
            }
        }

        return stale;
    }
}
