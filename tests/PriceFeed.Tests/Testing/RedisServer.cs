using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Testing;

/// <summary>A real <c>redis-server</c> child process on 127.0.0.1 and a free port, with nothing on disk.</summary>
/// <remarks>
/// Started by the test, stopped by its own PID (<see cref="Kill"/>, or on dispose), never by name and
/// never the machine's service. <see cref="RestartAsync"/> brings it back on the same port, empty, as a
/// restarted Redis without persistence is. <c>./test.sh</c> installs the Debian package, so these tests run.
/// </remarks>
internal sealed class RedisServer : IDisposable
{
    private const string Executable = "/usr/bin/redis-server";

    private ExternalProcess? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>HOST:PORT, as <c>--redis</c> takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A server on a free port, not started yet: for what happens before Redis is there.</summary>
    public static RedisServer NotStarted()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: install the Debian package redis-server (./test.sh does).");
        return new RedisServer(FreePort());
    }

    public static async Task<RedisServer> StartAsync()
    {
        var server = NotStarted();
        try
        {
            await server.RestartAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>Starts the process (again) on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        Assert.False(IsRunning, "redis-server is already running.");
        _process?.Dispose();
        _process = ExternalProcess.Start(Executable,
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            // No persistence: a restart starts empty, which is the case the bus must survive.
            "--save", "",
            "--appendonly", "no",
        ]);
        var process = _process;
        await Eventually.UntilAsync(
            () => process.HasExited || process.Output.Contains("Ready to accept connections", StringComparison.Ordinal),
            "redis-server is ready",
            TimeSpan.FromSeconds(30));
        Assert.False(process.HasExited, $"redis-server exited with {(process.HasExited ? process.ExitCode : 0)}. Output:\n{process.Output}");
    }

    /// <summary>SIGKILL by PID: Redis goes away without a goodbye, as a crashed one does.</summary>
    public void Kill()
    {
        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
