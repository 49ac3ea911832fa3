using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace PriceFeed.Tests.Clients;

/// <summary>A real feed server process on 127.0.0.1, started from the built server and signalled by PID.</summary>
/// <remarks>
/// Stop sends SIGTERM (the server's graceful shutdown, as an operator would) and waits; Freeze and Thaw
/// send SIGSTOP and SIGCONT to make a server that stops answering without closing anything. Dispose
/// kills a process that is still there, so a failing test leaves nothing behind.
/// </remarks>
internal sealed partial class FeedServerProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private FeedServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public Uri WebSocketUrl => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>What the server printed, for the message of a failing assertion.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The repository's root, found from this test assembly's place in it (tests/PriceFeed.Tests/bin/CONFIG/TFM/).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>The server assembly built in the same configuration as these tests (feed-server/bin/CONFIG/TFM/).</summary>
    public static string ServerAssemblyPath
    {
        get
        {
            var testDirectory = new DirectoryInfo(AppContext.BaseDirectory);
            var framework = testDirectory.Name;
            var configuration = testDirectory.Parent!.Name;
            return Path.Combine(RepositoryRoot, "feed-server", "bin", configuration, framework, "PriceFeed.Server.dll");
        }
    }

    /// <summary>A TCP port nobody listens on now (the kernel's choice), for a server that must come back on the same port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a server with <paramref name="arguments"/> on <paramref name="port"/> and waits until /healthz answers.</summary>
    public static async Task<FeedServerProcess> StartAsync(int port, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerAssemblyPath);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var server = new FeedServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Poll.UntilAsync(async () => !process.HasExited && await server.IsHealthyAsync(), $"the server on port {port} serves /healthz", server);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>The symbols the server knows (<c>/api/symbols</c>).</summary>
    public async Task<string[]> SymbolsAsync() =>
        JsonSerializer.Deserialize<string[]>(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/symbols")))!;

    /// <summary>Waits until the simulator has stopped (<c>--duration</c> passed) and the fan-out has sent everything on.</summary>
    /// <remarks>The simulator produces rate x duration quotes and may need longer than the duration on a busy
    /// machine, so "quiet" is a processed count that stays the same for half a second, not the clock.</remarks>
    public Task WaitUntilQuietAsync(double durationSeconds)
    {
        var processed = -1L;
        var unchangedSince = Stopwatch.StartNew();
        return Poll.UntilAsync(
            async () =>
            {
                using var health = JsonDocument.Parse(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/healthz")));
                var root = health.RootElement;
                var now = root.GetProperty("quotesProcessed").GetInt64();
                if (now != processed)
                {
                    processed = now;
                    unchangedSince.Restart();
                }

                return root.GetProperty("uptimeSeconds").GetDouble() > durationSeconds
                    && root.GetProperty("ringLag").GetInt64() == 0
                    && unchangedSince.Elapsed > TimeSpan.FromMilliseconds(500);
            },
            "the server's source has gone quiet",
            this);
    }

    /// <summary>SIGTERM, then waits for the process to exit.</summary>
    public void Stop()
    {
        Signal(SigTerm);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
        {
            Assert.Fail($"The server (PID {Pid}) did not exit within 15 s of SIGTERM.{Environment.NewLine}{Output}");
        }
    }

    /// <summary>SIGSTOP: the server keeps its sockets open and answers nothing, like a hung host.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>SIGCONT: the server runs again.</summary>
    public void Thaw() => Signal(SigCont);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // A frozen process cannot handle SIGKILL's cleanup any worse, but thawing first keeps its sockets' teardown normal.
            Signal(SigCont);
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    private async Task<bool> IsHealthyAsync()
    {
        try
        {
            using var response = await s_http.GetAsync(new Uri($"http://127.0.0.1:{Port}/healthz"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void Signal(int signal)
    {
        if (Kill(Pid, signal) != 0)
        {
            Assert.Fail($"kill({Pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
