using System.Diagnostics;
using System.Text;
using PriceFeed.Server.Hosting;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Browser;

/// <summary>
/// The dashboard in a real headless Chromium against a real server: runs
/// <c>tests/browser/dashboard.test.mjs</c> (node, playwright-core, Debian's chromium) and
/// stops and starts the server when the script asks, for its reconnect case.
/// </summary>
/// <remarks>
/// The script prints <c>pricefeed-control stop</c> or <c>pricefeed-control start</c> and waits for
/// <c>ok</c> on its stdin. The screenshot lands in <c>tests/browser/artifacts/dashboard.png</c>.
/// <c>./test.sh</c> installs what this needs; missing, the test fails and says so rather than skip.
/// </remarks>
public sealed class DashboardTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    // Four minutes: the script takes about 30 s; a loaded 2-core build machine may take several times that.
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    private static readonly Func<FeedServerOptions, FeedServerOptions> s_options = o => o with { Symbols = 60, Rate = 3_000, Seed = 6, DrainSpreadMs = 1_000 };

    [Fact]
    public async Task DashboardConnectsShowsMovingPricesAndChartsHonoursTheThrottleAndReconnects()
    {
        var browserTests = Path.Combine(RepositoryPaths.Root, "tests", "browser");
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run ./test.sh (it installs Debian's chromium).");
        Assert.True(
            Directory.Exists(Path.Combine(browserTests, "node_modules", "playwright-core")),
            "playwright-core is missing: run ./test.sh (it runs npm ci in tests/browser).");

        var local = await TestServer.StartAsync(s_options);
        var port = local.Server.Port;
        var output = new StringBuilder();
        using var node = Process.Start(new ProcessStartInfo("node", "dashboard.test.mjs")
        {
            WorkingDirectory = browserTests,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["PRICEFEED_URL"] = $"http://127.0.0.1:{port}/",
                ["PRICEFEED_CONTROL"] = "stdio",
            },
        })!;

        try
        {
            node.ErrorDataReceived += (_, e) =>
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            };
            node.BeginErrorReadLine();

            using var timeout = new CancellationTokenSource(s_timeout);
            while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                switch (line.Trim())
                {
                    case "pricefeed-control stop":
                        await local.DisposeAsync();
                        await node.StandardInput.WriteLineAsync("ok");
                        break;
                    case "pricefeed-control start":
                        local = await StartOnPortAsync(port);
                        await node.StandardInput.WriteLineAsync("ok");
                        break;
                }
            }

            await node.WaitForExitAsync(timeout.Token);
            Assert.True(node.ExitCode == 0, $"dashboard.test.mjs exited with {node.ExitCode}:\n{output}");
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"dashboard.test.mjs did not finish within {s_timeout.TotalMinutes} minutes:\n{output}");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            await local.DisposeAsync();
        }
    }

    /// <summary>Starts the server again on the port the page knows, retrying while the old listener's port is released.</summary>
    private static async Task<TestServer> StartOnPortAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await TestServer.StartAsync(o => s_options(o) with { Port = port });
            }
            catch (Exception ex) when (deadline.Elapsed < TimeSpan.FromSeconds(10) && ex is System.Net.Sockets.SocketException or IOException or AggregateException)
            {
                await Task.Delay(100);
            }
        }
    }
}
