using System.Diagnostics;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Clients;

/// <summary>
/// Runs the Python client's interop scenarios (clients/python/tests/test_client.py) with Debian's
/// python3, python3-websockets, python3-protobuf and python3-pandas (for <c>bars_frame</c>), which ./test.sh installs. Each scenario starts and
/// stops its own server processes; a failure shows everything the script printed.
/// </summary>
public sealed class PythonClientTests
{
    /// <summary>The system interpreter, whose packages are the Debian ones the client must work with.</summary>
    private const string Python = "/usr/bin/python3";

    /// <summary>A scenario takes a few seconds; the rest is room for a busy machine.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("ordered")]
    [InlineData("ordered_json")]
    [InlineData("restart")]
    [InlineData("slow_reader")]
    [InlineData("dead")]
    [InlineData("resume_cut")]
    [InlineData("resume_scripted")]
    [InlineData("resume_lossless")]
    [InlineData("slow_consumer")]
    [InlineData("go_away")]
    [InlineData("token_refresh")]
    [InlineData("bars")]
    [InlineData("bars_json")]
    [InlineData("bars_cut")]
    [InlineData("bars_frame")]
    [InlineData("bars_scripted")]
    public async Task ScenarioPasses(string scenario)
    {
        var script = Path.Combine(RepositoryPaths.Root, "clients", "python", "tests", "test_client.py");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--server-dll");
        start.ArgumentList.Add(RepositoryPaths.ServerDll);
        start.ArgumentList.Add(scenario);
        // Unbuffered, so that a hung scenario still shows how far it got.
        start.Environment["PYTHONUNBUFFERED"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The whole tree: the script and the servers it started.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var output = $"{await stdout}{await stderr}";
        Assert.True(process.ExitCode == 0 && !timeout.IsCancellationRequested,
            $"{Python} test_client.py {scenario} {(timeout.IsCancellationRequested ? $"timed out after {s_timeout}" : $"exited with {process.ExitCode}")}:{Environment.NewLine}{output}");
    }
}
