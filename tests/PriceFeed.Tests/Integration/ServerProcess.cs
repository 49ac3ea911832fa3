using System.Globalization;
using System.Text.RegularExpressions;

namespace PriceFeed.Tests.Integration;

/// <summary>The real server: <c>dotnet PriceFeed.Server.dll</c> from the build output, as an operator runs it.</summary>
/// <remarks>Started with <c>--port 0</c> unless the arguments say otherwise; the port is read from its
/// "listening on" log line. Stopped with SIGTERM by PID (<see cref="Terminate"/>) or killed on dispose.</remarks>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly ExternalProcess _process;

    private ServerProcess(ExternalProcess process) => _process = process;

    public int Port { get; private set; }

    public Uri WsUri => new($"ws://127.0.0.1:{Port}/ws");

    public string Output => _process.Output;

    /// <summary>The options a light test server runs with, before the test's own.</summary>
    public static IReadOnlyList<string> LightArguments { get; } =
        ["--host", "127.0.0.1", "--port", "0", "--symbols", "50", "--rate", "1000", "--seed", "42", "--wait-strategy", "blocking", "--ring-size", "4096"];

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
                "the server logs 'listening on'",
                TimeSpan.FromSeconds(30));
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

    /// <summary>SIGTERM: the graceful shutdown path.</summary>
    public void Terminate() => _process.Terminate();

    public Task<int> WaitForExitAsync(TimeSpan? timeout = null) => _process.WaitForExitAsync(timeout);

    public void Dispose() => _process.Dispose();

    /// <summary>The dotnet host running these tests (so the same runtime), else <c>dotnet</c> on the PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [GeneratedRegex(@"listening on http://[^/\s]+:(?<port>\d+)/")]
    private static partial Regex ListeningLine();
}
