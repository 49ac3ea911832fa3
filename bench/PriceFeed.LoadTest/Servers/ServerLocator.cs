namespace PriceFeed.LoadTest.Servers;

/// <summary>Finds the servers in this repository: the Release builds by default, as the commands in docs/performance.md make them, and the Node baseline's script.</summary>
internal static class ServerLocator
{
    private static readonly string s_nodeBaselineFolder = Path.Combine("bench", "node-baseline");

    /// <summary>How to start the server of <paramref name="target"/> (not <see cref="Target.Url"/>, which is already running).</summary>
    public static ServerCommand For(Target target, LoadTestOptions options) => target switch
    {
        Target.Ours => ServerCommand.Dotnet(options.ServerDll ?? Find(Path.Combine("feed-server", "bin"), "PriceFeed.Server.dll")),
        Target.Baseline => ServerCommand.Dotnet(options.BaselineDll ?? Find(Path.Combine("bench", "PriceFeed.Baseline", "bin"), "PriceFeed.Baseline.dll")),
        Target.Node => NodeBaseline(options),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "The tool starts no server for this target."),
    };

    /// <summary>True when the Node baseline's packages are installed (<c>npm ci</c> in bench/node-baseline has run).</summary>
    public static bool IsNodeBaselineInstalled(LoadTestOptions options)
    {
        var script = options.NodeScript ?? (TryRepositoryRoot() is { } root ? Path.Combine(root, s_nodeBaselineFolder, "server.mjs") : null);
        return script is not null && File.Exists(script) && Directory.Exists(NodeModules(script));
    }

    /// <summary>The repository root: the first directory above the tool (or the current one) holding PriceFeed.sln.</summary>
    public static string RepositoryRoot() =>
        TryRepositoryRoot()
        ?? throw new DirectoryNotFoundException("PriceFeed.sln not found above the tool or the current directory: run from the repository, or pass --server-dll, --baseline-dll and --node-script.");

    private static string? TryRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "PriceFeed.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }

    private static ServerCommand NodeBaseline(LoadTestOptions options)
    {
        var script = options.NodeScript ?? Path.Combine(RepositoryRoot(), s_nodeBaselineFolder, "server.mjs");
        // Checked here rather than left to node: "Cannot find package 'ws'" would not say what to run.
        if (File.Exists(script) && !Directory.Exists(NodeModules(script)))
        {
            throw new InvalidOperationException(
                $"The Node baseline's packages are not installed: run 'npm ci --no-audit --no-fund' in {Path.GetDirectoryName(script)} (bench/measure-all.sh and ./test.sh do).");
        }

        return new ServerCommand("node", script, "pass the script's path with --node-script");
    }

    private static string NodeModules(string script) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(script))!, "node_modules");

    private static string Find(string binUnderRoot, string dll)
    {
        var bin = Path.Combine(RepositoryRoot(), binUnderRoot);
        // The tool's own configuration first (tests build everything in one), then Release, then Debug.
        var configurations = new[] { BuildConfiguration, "Release", "Debug" }.Distinct();
        foreach (var configuration in configurations)
        {
            var path = Path.Combine(bin, configuration, "net10.0", dll);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return Path.Combine(bin, "Release", "net10.0", dll);
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}

/// <summary>How to start one server: a program and the file it runs (a .dll for dotnet, a script for node).</summary>
/// <param name="Hint">What to do when <paramref name="EntryPoint"/> does not exist.</param>
internal sealed record ServerCommand(string Program, string EntryPoint, string Hint)
{
    public static ServerCommand Dotnet(string dll) =>
        new("dotnet", dll, "build it with 'dotnet build -c Release', or pass its path with --server-dll/--baseline-dll");
}
