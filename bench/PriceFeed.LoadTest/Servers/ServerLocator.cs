namespace PriceFeed.LoadTest.Servers;

/// <summary>Finds the server builds in this repository: the Release build by default, as the commands in docs/performance.md make them.</summary>
internal static class ServerLocator
{
    public static string Ours(LoadTestOptions options) =>
        options.ServerDll ?? Find(Path.Combine("feed-server", "bin"), "PriceFeed.Server.dll");

    public static string Baseline(LoadTestOptions options) =>
        options.BaselineDll ?? Find(Path.Combine("bench", "PriceFeed.Baseline", "bin"), "PriceFeed.Baseline.dll");

    /// <summary>The repository root: the first directory above the tool (or the current one) holding PriceFeed.sln.</summary>
    public static string RepositoryRoot()
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

        throw new DirectoryNotFoundException("PriceFeed.sln not found above the tool or the current directory: run from the repository, or pass --server-dll and --baseline-dll.");
    }

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
