using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PriceFeed.Tests.Testing;

/// <summary>The real server: <c>dotnet PriceFeed.Server.dll</c> from the build output, as an operator runs it.</summary>
/// <remarks>
/// <para><see cref="StartAsync(string[])"/> runs a light server on a port the OS picks and reads the port from its
/// "listening on" log line; <see cref="StartOnPortAsync"/> runs one on a given port (to start again where a stopped
/// one was) and waits until <c>/healthz</c> answers.</para>
/// <para>Signalled by PID only, never by name: <see cref="Terminate"/> and <see cref="Stop"/> send SIGTERM (the
/// graceful shutdown); <see cref="Freeze"/> and <see cref="Thaw"/> SIGSTOP and SIGCONT (a server that answers
/// nothing without closing anything). Dispose kills a process still there, so a failing test leaves nothing behind.</para>
/// </remarks>
internal sealed partial class ServerProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly ExternalProcess _process;

    private ServerProcess(ExternalProcess process, int port = 0)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; private set; }

    public int Pid => _process.Id;

    public Uri WsUri => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>What the server printed, for the message of a failing assertion.</summary>
    public string Output => _process.Output;

    /// <summary>The options a light test server runs with, before the test's own.</summary>
    public static IReadOnlyList<string> LightArguments { get; } =
        ["--host", "127.0.0.1", "--port", "0", "--symbols", "50", "--rate", "1000", "--seed", "42", "--wait-strategy", "blocking", "--ring-size", "4096"];

    /// <summary>The dotnet host running these tests (so the same runtime), else <c>dotnet</c> on the PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs the server with <paramref name="arguments"/> without waiting for anything.</summary>
    public static ServerProcess Run(IEnumerable<string> arguments) =>
        new(ExternalProcess.Start(DotnetHost, [RepositoryPaths.ServerDll, .. arguments]));

    /// <summary>Runs the server with <see cref="LightArguments"/> and <paramref name="extra"/> and waits until it listens.</summary>
    public static async Task<ServerProcess> StartAsync(params string[] extra)
    {
        var server = Run([.. LightArguments, .. extra]);
        try
        {
            await Eventually.UntilAsync(
                () => server._process.HasExited || ListeningLine().IsMatch(server.Output),
                "the server logs 'listening on'");
            var match = ListeningLine().Match(server.Output);
            Assert.True(match.Success, $"The server exited with {(server._process.HasExited ? server._process.ExitCode : -1)} before listening. Output:\n{server.Output}");
            server.Port = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs the server with its own defaults and <paramref name="arguments"/> on <paramref name="port"/> and waits until /healthz answers.</summary>
    public static async Task<ServerProcess> StartOnPortAsync(int port, params string[] arguments)
    {
        var server = new ServerProcess(
            ExternalProcess.Start(DotnetHost, [RepositoryPaths.ServerDll, "--port", port.ToString(CultureInfo.InvariantCulture), .. arguments]),
            port);
        try
        {
            await Eventually.UntilAsync(
                async () => !server._process.HasExited && await server.IsHealthyAsync(),
                $"the server on port {port} serves /healthz",
                detail: () => server.Output);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>A TCP port nobody listens on now (the kernel's choice), for a server that must come back on the same port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The symbols the server knows (<c>/api/symbols</c>).</summary>
    public async Task<string[]> SymbolsAsync() =>
        JsonSerializer.Deserialize<string[]>(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/symbols")))!;

    /// <summary>Quotes the server has taken from its source so far (<c>/healthz</c> <c>quotesProcessed</c>).</summary>
    public async Task<long> QuotesProcessedAsync()
    {
        using var health = JsonDocument.Parse(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/healthz")));
        return health.RootElement.GetProperty("quotesProcessed").GetInt64();
    }

    /// <summary>Waits until the simulator has stopped (<c>--duration</c> passed) and the fan-out has sent everything on.</summary>
    /// <remarks>The simulator produces rate x duration quotes and may need longer than the duration on a busy
    /// machine, so "quiet" is a processed count that stays the same for half a second, not the clock.</remarks>
    public Task WaitUntilQuietAsync(double durationSeconds)
    {
        var processed = -1L;
        var unchangedSince = Stopwatch.StartNew();
        return Eventually.UntilAsync(
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
            detail: () => Output);
    }

    /// <summary>SIGTERM: the graceful shutdown path; returns at once (see <see cref="WaitForExitAsync"/>).</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>SIGTERM, then waits for the process to exit; fails the test if it does not within 15 s.</summary>
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

    public Task<int> WaitForExitAsync(TimeSpan? timeout = null) => _process.WaitForExitAsync(timeout);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // Thawed first, so that a frozen server's sockets are torn down normally when it is killed.
            Kill(Pid, SigCont);
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

    private void Signal(int signal)
    {
        if (Kill(Pid, signal) != 0)
        {
            Assert.Fail($"kill({Pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"listening on http://[^/\s]+:(?<port>\d+)/")]
    private static partial Regex ListeningLine();
}
