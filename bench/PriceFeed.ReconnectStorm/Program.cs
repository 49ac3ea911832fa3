using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PriceFeed.Client;

namespace PriceFeed.ReconnectStorm;

/// <summary>
/// Restarts a feed server under thousands of connected <see cref="PriceFeedClient"/>s and reports how their reconnects
/// bunch up: the busiest 100 ms against the mean, once per <c>--drain-spread-ms</c> value (0: every client is told to
/// come back at once, which is the behaviour without the hint; the clients' own backoff jitter is all that spreads them).
/// </summary>
/// <remarks>
/// <para>Usage (from the repository root, after <c>dotnet build -c Release</c>):
/// <c>taskset -c 1 dotnet bench/PriceFeed.ReconnectStorm/bin/Release/net10.0/PriceFeed.ReconnectStorm.dll --clients 5000 --spreads 0,5000 --server-cpus 0</c>.
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
        var dll = Path.GetFullPath(Arg(args, "--server-dll", "feed-server/bin/Release/net10.0/PriceFeed.Server.dll"));
        if (!File.Exists(dll))
        {
            Console.Error.WriteLine($"{dll} is missing: run dotnet build -c Release first.");
            return 2;
        }

        Console.WriteLine($"clients {clients}, server on CPU {serverCpus}, this tool on CPU(s) {CpusOfThisProcess()}");
        Console.WriteLine("| --drain-spread-ms | reconnected | first | p50 | p99 | last | busiest 100 ms | mean per 100 ms | busiest / mean | refused attempts |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var spread in spreads)
        {
            Console.WriteLine(await RunAsync(dll, serverCpus, clients, spread));
        }

        return 0;
    }

    private static async Task<string> RunAsync(string dll, string serverCpus, int count, int spreadMs)
    {
        var port = FreePort();
        string[] serverArgs =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--symbols", Symbols.ToString(CultureInfo.InvariantCulture),
            "--rate", "1000", "--drain-spread-ms", spreadMs.ToString(CultureInfo.InvariantCulture),
            "--max-connections-per-ip", "100000", "--log-level", "warning",
        ];
        var server = StartServer(dll, serverCpus, serverArgs);
        var clients = new List<PriceFeedClient>();
        var reconnects = new ConcurrentBag<long>();
        long restartAt = long.MaxValue;
        var refused = 0;
        try
        {
            await WaitForHealthAsync(port);
            var uri = new Uri($"ws://127.0.0.1:{port}/ws");
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
            server = StartServer(dll, serverCpus, serverArgs);
            var deadline = Stopwatch.StartNew();
            while (reconnects.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(100);
            }

            return Row(spreadMs, count, [.. reconnects.Select(t => Stopwatch.GetElapsedTime(restartAt, t).TotalMilliseconds).Order()], refused);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            if (!server.HasExited)
            {
                Signal(server.Id, "TERM");
                if (!server.WaitForExit(15_000))
                {
                    server.Kill();
                }
            }

            server.Dispose();
        }
    }

    private static string Row(int spreadMs, int count, double[] ms, int refused)
    {
        if (ms.Length == 0)
        {
            return $"| {spreadMs} | 0 of {count} | | | | | | | | {refused} |";
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

        var span = Math.Max(100, ms[^1] - ms[0]);
        var mean = ms.Length / (span / 100);
        string F(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        return $"| {spreadMs} | {ms.Length} of {count} | {F(ms[0])} ms | {F(ms[ms.Length / 2])} ms | {F(ms[(int)(ms.Length * 0.99)])} ms | {F(ms[^1])} ms "
            + $"| {busiest} | {mean.ToString("N1", CultureInfo.InvariantCulture)} | {(busiest / mean).ToString("N1", CultureInfo.InvariantCulture)}x | {refused} |";
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
