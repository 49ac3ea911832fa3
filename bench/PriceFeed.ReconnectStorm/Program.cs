using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PriceFeed.Client;

namespace PriceFeed.ReconnectStorm;

/// <summary>
/// Stops a feed server under thousands of connected <see cref="PriceFeedClient"/>s and reports how their reconnects
/// bunch up: the busiest 100 ms against the mean, once per <c>--drain-spread-ms</c> value (0: every client is told to
/// come back at once, which is the behaviour without the hint; the clients' own backoff jitter is all that spreads them).
/// Two shapes: <c>failover</c> (the default), two nodes behind a load balancer (a TCP one in this process that sends a
/// connection to node A while it accepts, else to node B), node A stopped: its clients land on B, the storm is B's
/// load; and <c>restart</c>, one node stopped and started again on its port, the clients waiting for it.
/// </summary>
/// <remarks>
/// <para>Usage (from the repository root, after <c>dotnet build -c Release</c>):
/// <c>taskset -c 1 dotnet bench/PriceFeed.ReconnectStorm/bin/Release/net10.0/PriceFeed.ReconnectStorm.dll --clients 5000 --spreads 0,5000 --server-cpus 0 [--shape failover|restart]</c>.
/// The server is started here (<c>feed-server/bin/Release/net10.0/PriceFeed.Server.dll</c>, pinned with taskset), stopped
/// with SIGTERM by its PID, started again on the same port, and stopped at the end.</para>
/// <para>A reconnect is a client's transition to Connected after the SIGTERM. Times are from the SIGTERM.</para>
/// </remarks>
internal static class Program
{
    private const int Symbols = 50;

    public static async Task<int> Main(string[] args)
    {
        var clients = int.Parse(Arg(args, "--clients", "5000"), CultureInfo.InvariantCulture);
        var spreads = Arg(args, "--spreads", "0,5000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var serverCpus = Arg(args, "--server-cpus", "0");
        var failover = Arg(args, "--shape", "failover") == "failover";
        var dll = Path.GetFullPath(Arg(args, "--server-dll", "feed-server/bin/Release/net10.0/PriceFeed.Server.dll"));
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} is missing: run dotnet build -c Release first.");
            return 2;
        }

        Console.WriteLine($"shape {(failover ? "failover (two nodes behind a load balancer, node A stopped)" : "restart (one node stopped and started again)")}; clients {clients}, servers on CPU {serverCpus}, this tool on CPU(s) {CpusOfThisProcess()}");
        // One mean for every row: the clients spread over the widest window asked for, so rows compare.
        var referenceMs = Math.Max(1_000, spreads.Max());
        Console.WriteLine($"mean per 100 ms: the clients spread evenly over {referenceMs} ms, {clients / (referenceMs / 100.0):N1}");
        Console.WriteLine("| --drain-spread-ms | reconnected | first | p50 | p99 | last | busiest 100 ms | busiest / mean | refused attempts |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var spread in spreads)
        {
            Console.WriteLine(await RunAsync(dll, serverCpus, clients, spread, failover, referenceMs));
        }

        return 0;
    }

    private static async Task<string> RunAsync(string dll, string serverCpus, int count, int spreadMs, bool failover, int referenceMs)
    {
        var port = FreePort();
        string[] ServerArgs(int onPort) =>
        [
            "--port", onPort.ToString(CultureInfo.InvariantCulture), "--symbols", Symbols.ToString(CultureInfo.InvariantCulture),
            "--rate", "1000", "--seed", "7", "--drain-spread-ms", spreadMs.ToString(CultureInfo.InvariantCulture),
            "--max-connections-per-ip", "100000", "--log-level", "warning",
        ];
        var serverArgs = ServerArgs(port);
        Process? server = StartServer(dll, serverCpus, serverArgs);
        var standbyPort = FreePort();
        using var standby = failover ? StartServer(dll, serverCpus, ServerArgs(standbyPort)) : null;
        await using var balancer = failover ? new LoadBalancer(port, standbyPort) : null;
        var clients = new List<PriceFeedClient>();
        var reconnects = new ConcurrentBag<long>();
        long restartAt = long.MaxValue;
        var refused = 0;
        try
        {
            await WaitForHealthAsync(port);
            if (failover)
            {
                await WaitForHealthAsync(standbyPort);
            }

            var uri = new Uri($"ws://127.0.0.1:{balancer?.Port ?? port}/ws");
            for (var opened = 0; opened < count; opened += 100)
            {
                var batch = await Task.WhenAll(Enumerable.Range(opened, Math.Min(100, count - opened)).Select(async i =>
                {
                    var client = await PriceFeedClient.ConnectAsync(new PriceFeedClientOptions { Url = uri });
                    client.StateChanged += (_, e) =>
                    {
                        var now = Stopwatch.GetTimestamp();
                        if (now < Volatile.Read(ref restartAt))
                        {
                            return;
                        }

                        if (e.State == ConnectionState.Connected)
                        {
                            reconnects.Add(now);
                        }
                        else if (e.State == ConnectionState.Reconnecting && e.Attempt > 1)
                        {
                            Interlocked.Increment(ref refused);
                        }
                    };
                    await client.SubscribeAsync($"S{i % Symbols}");
                    return client;
                }));
                clients.AddRange(batch);
            }

            // Settled: every client connected and subscribed. Restart the server under them.
            await Task.Delay(1_000);
            Volatile.Write(ref restartAt, Stopwatch.GetTimestamp());
            Signal(server.Id, "TERM");
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            server.Dispose();
            // failover: node B is up already; restart: the node comes back on its port.
            server = failover ? null : StartServer(dll, serverCpus, serverArgs);
            var deadline = Stopwatch.StartNew();
            while (reconnects.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(100);
            }

            return Row(spreadMs, count, [.. reconnects.Select(t => Stopwatch.GetElapsedTime(restartAt, t).TotalMilliseconds).Order()], refused, referenceMs);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            foreach (var node in new[] { server, standby })
            {
                if (node is null || node.HasExited)
                {
                    continue;
                }

                Signal(node.Id, "TERM");
                if (!node.WaitForExit(15_000))
                {
                    node.Kill();
                }
            }

            server?.Dispose();
        }
    }

    private static string Row(int spreadMs, int count, double[] ms, int refused, int referenceMs)
    {
        if (ms.Length == 0)
        {
            return $"| {spreadMs} | 0 of {count} | | | | | | | {refused} |";
        }

        // The busiest 100 ms: the most reconnects in any window [t, t + 100 ms) starting at a reconnect.
        var busiest = 0;
        for (int lo = 0, hi = 0; lo < ms.Length; lo++)
        {
            while (hi < ms.Length && ms[hi] < ms[lo] + 100)
            {
                hi++;
            }

            busiest = Math.Max(busiest, hi - lo);
        }

        var mean = count / (referenceMs / 100.0);
        string F(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        return $"| {spreadMs} | {ms.Length} of {count} | {F(ms[0])} ms | {F(ms[ms.Length / 2])} ms | {F(ms[(int)(ms.Length * 0.99)])} ms | {F(ms[^1])} ms "
            + $"| {busiest} | {(busiest / mean).ToString("N1", CultureInfo.InvariantCulture)}x | {refused} |";
    }

    private static Process StartServer(string dll, string cpus, string[] arguments)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", cpus, "dotnet", dll, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                Console.Error.WriteLine($"server: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Sends a signal by PID (taskset execs dotnet, so the PID is the server's).</summary>
    private static void Signal(int pid, string signal) =>
        Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static async Task WaitForHealthAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The CPUs this process may run on, as Linux lists them (e.g. <c>1</c> under <c>taskset -c 1</c>).</summary>
    private static string CpusOfThisProcess() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";

    private static string Arg(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
