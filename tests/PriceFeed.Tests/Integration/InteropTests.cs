using PriceFeed.Tests.Testing;
namespace PriceFeed.Tests.Integration;

/// <summary>Clients in other languages against a real server: the Python <c>websockets</c> package and Node's <c>ws</c>.</summary>
/// <remarks><c>./test.sh</c> installs python3-websockets and runs <c>npm ci</c> in tests/interop/node; these
/// tests fail, rather than skip, when that was not done, and say what to run.</remarks>
public sealed class InteropTests
{
    /// <summary>Debian's interpreter, which has python3-websockets; not whatever python3 is first on the PATH.</summary>
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task PythonWebsocketsClientPassesItsChecks()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing; run ./test.sh, which installs python3 and python3-websockets.");
        await using var server = await TestServer.StartAsync();

        var (exitCode, output) = await RunAsync(Python, RepositoryPaths.Combine("tests/interop/python/ws_client.py"), server.WsUri);

        Assert.True(exitCode == 0, $"ws_client.py exited with {exitCode}. Output:\n{output}");
        Assert.Contains("all checks passed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeWsClientPassesItsChecks()
    {
        var folder = RepositoryPaths.Combine("tests/interop/node");
        Assert.True(
            Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            $"The ws package is not installed; run 'npm ci' in {folder} (./test.sh does).");
        await using var server = await TestServer.StartAsync();

        var (exitCode, output) = await RunAsync("node", Path.Combine(folder, "ws_client.mjs"), server.WsUri);

        Assert.True(exitCode == 0, $"ws_client.mjs exited with {exitCode}. Output:\n{output}");
        Assert.Contains("all checks passed", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string interpreter, string script, Uri uri)
    {
        using var process = ExternalProcess.Start(interpreter, [script, uri.ToString()], Path.GetDirectoryName(script));
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(45));
        return (exitCode, process.Output);
    }
}
