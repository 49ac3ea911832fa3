using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PriceFeed.LoadTest.Servers;

/// <summary>A server the tool started as a child process (ours or a baseline), optionally pinned with <c>taskset</c>.</summary>
/// <remarks>Stopped by its PID only, in <see cref="DisposeAsync"/>; nothing else is ever signalled.</remarks>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int TailLines = 20;

    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Pid => _process.Id;

    public int Port { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/ws");

    public Uri HttpUri => new($"http://127.0.0.1:{Port}/");

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server wrote, for error messages.</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join(Environment.NewLine, _tail);
            }
        }
    }

    /// <summary>Starts <paramref name="command"/> with the simulator options on a free port, and <paramref name="extraArguments"/>.</summary>
    public static ServerProcess Start(
        ServerCommand command, Scenario scenario, int rate, TimeSpan? sourceDuration, ulong seed, int? pacingSlackMs, string? cpus, IReadOnlyList<string> extraArguments)
    {
        if (!File.Exists(command.EntryPoint))
        {
            throw new FileNotFoundException($"No server at {command.EntryPoint}: {command.Hint}.", command.EntryPoint);
        }

        var port = FreePort();
        var arguments = new List<string>();
        var fileName = command.Program;
        if (cpus is not null)
        {
            // taskset execs the server in its own process: the PID measured and killed is the server's.
            arguments.AddRange(["-c", cpus, command.Program]);
            fileName = "taskset";
        }

        arguments.AddRange(
        [
            command.EntryPoint,
            "--port", Invariant(port),
            "--symbols", Invariant(scenario.Symbols),
            "--rate", Invariant(rate),
            "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        if (pacingSlackMs is { } slack)
        {
            arguments.AddRange(["--pacing-slack-ms", Invariant(slack)]);
        }

        if (sourceDuration is { } duration)
        {
            arguments.AddRange(["--duration", Invariant((int)Math.Ceiling(duration.TotalSeconds))]);
        }

        arguments.AddRange(extraArguments);

        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var server = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Polls <c>/healthz</c> until it answers 200; throws with the server's last lines if it exits or times out.</summary>
    public async Task WaitUntilServingAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before serving:{Environment.NewLine}{Tail}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(HttpUri, "healthz"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server did not answer /healthz within {timeout.TotalSeconds} s:{Environment.NewLine}{Tail}");
    }

    public ProcessStats? ReadStats() => _process.HasExited ? null : ProcessStats.Read(_process.Id);

    /// <summary>Kills the server by its PID and waits for it to go.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            if (_tail.Count == TailLines)
            {
                _tail.Dequeue();
            }

            _tail.Enqueue(line);
        }
    }
}
