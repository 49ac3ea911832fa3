using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PriceFeed.Tests.Testing;

/// <summary>A real nginx child process on 127.0.0.1 and a free port, running the operator's
/// <c>deploy/nginx/pricefeed.conf</c> in front of the test's nodes.</summary>
/// <remarks>
/// <para>The site file is the deployed one with two kinds of line changed, and only those: the upstream's
/// <c>server ADDRESS ...;</c> lines get the nodes' addresses (their parameters stay), and the <c>listen</c> line gets the
/// test's port. A small main file around it holds what belongs to the machine, not the site: the PID and log
/// files, the temp folders, all under a temp folder of the test's own (never <c>/var/log/nginx</c> or the
/// machine's service, never port 80).</para>
/// <para>Started by the test with <c>daemon off</c>, so the master is this test's child; stopped by that PID
/// (SIGTERM on dispose, then a kill of its process tree if anything is left), never by name. <c>./test.sh</c> installs the Debian
/// package nginx, so these tests run.</para>
/// </remarks>
internal sealed partial class NginxServer : IDisposable
{
    private const string Executable = "/usr/sbin/nginx";

    private readonly ExternalProcess _process;
    private readonly string _prefix;

    private NginxServer(ExternalProcess process, string prefix, int port)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
    }

    /// <summary>The file an operator installs; the test runs this one.</summary>
    public static string DeployedConfig => RepositoryPaths.Combine("deploy/nginx/pricefeed.conf");

    public int Port { get; }

    public Uri WsUri => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/ws");

    public Uri HttpUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public int Pid => _process.Id;

    /// <summary>nginx's error log (connect failures, upstreams marked failed), for a failing assertion's message.</summary>
    public string ErrorLog
    {
        get
        {
            var path = Path.Combine(_prefix, "error.log");
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
    }

    /// <summary>Starts nginx with the deployed site config in front of <paramref name="nodePorts"/> (on 127.0.0.1)
    /// and waits until it accepts connections.</summary>
    public static async Task<NginxServer> StartAsync(IReadOnlyList<int> nodePorts)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: install the Debian package nginx (./test.sh does).");
        var port = ServerProcess.FreePort();
        var prefix = Directory.CreateTempSubdirectory("pricefeed-nginx-").FullName;
        var site = Path.Combine(prefix, "pricefeed.conf");
        await File.WriteAllTextAsync(site, SiteConfig(await File.ReadAllTextAsync(DeployedConfig), port, nodePorts));
        var main = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(main, MainConfig(prefix, site));

        var process = ExternalProcess.Start(Executable, ["-p", prefix, "-c", main, "-e", Path.Combine(prefix, "error.log")]);
        var server = new NginxServer(process, prefix, port);
        try
        {
            await Eventually.UntilAsync(
                () => process.HasExited || Accepts(port),
                "nginx accepts connections",
                detail: () => process.Output + server.ErrorLog);
            Assert.False(process.HasExited, $"nginx exited with {(process.HasExited ? process.ExitCode : 0)}:\n{process.Output}{server.ErrorLog}");
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>The deployed site file with the listen line on <paramref name="port"/> and the upstream's server lines
    /// pointing at <paramref name="nodePorts"/>; fails if the file does not have one server line per node.</summary>
    public static string SiteConfig(string deployed, int port, IReadOnlyList<int> nodePorts)
    {
        var listens = ListenLine().Count(deployed);
        Assert.True(listens == 1, $"{DeployedConfig} must have exactly one listen line for the test to move; it has {listens}.");
        var nodes = UpstreamServerLine().Count(deployed);
        Assert.True(nodes == nodePorts.Count, $"{DeployedConfig} has {nodes} upstream server lines; the test runs {nodePorts.Count} nodes.");

        var next = 0;
        var config = UpstreamServerLine().Replace(
            deployed,
            m => $"{m.Groups["indent"].Value}server 127.0.0.1:{nodePorts[next++].ToString(CultureInfo.InvariantCulture)}{m.Groups["parameters"].Value};");
        return ListenLine().Replace(config, m => $"{m.Groups["indent"].Value}listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGTERM by the master's PID (nginx's fast stop: it closes the proxied connections and its workers exit);
            // what is somehow left is killed with the master's process tree.
            _process.Terminate();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
            // A worker still closing a log file; the temp folder is the system's to clean.
        }
    }

    /// <summary>What belongs to the machine, not the site: in the foreground, everything under <paramref name="prefix"/>.</summary>
    private static string MainConfig(string prefix, string site)
    {
        // As root, nginx starts its workers as nobody unless told otherwise, and nobody cannot write the temp folders.
        var user = Environment.UserName == "root" ? "user root;" : "";
        return $$"""
            daemon off;
            master_process on;
            {{user}}
            worker_processes 2;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log notice;
            events {
                worker_connections 1024;
            }
            http {
                access_log {{prefix}}/access.log;
                client_body_temp_path {{prefix}}/client_body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                include {{site}};
            }
            """;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // `listen ...;` at the start of a line: the site's one listen directive.
    [GeneratedRegex(@"^(?<indent>[ \t]*)listen[ \t]+[^;\n]+;", RegexOptions.Multiline)]
    private static partial Regex ListenLine();

    // `server ADDRESS [parameters];` inside the upstream (a server block opens with `server {`, which has no address).
    [GeneratedRegex(@"^(?<indent>[ \t]*)server[ \t]+[^\s;{]+(?<parameters>[^;{\n]*);", RegexOptions.Multiline)]
    private static partial Regex UpstreamServerLine();
}
