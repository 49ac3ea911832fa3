namespace PriceFeed.Tests.Testing;

/// <summary>Finds files of the repository from the test assembly's folder, wherever the repository is checked out.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding <c>PriceFeed.sln</c>, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary><c>Release</c> or <c>Debug</c>: the configuration the tests were built in, so the server matches.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>The built server, <c>feed-server/bin/CONFIGURATION/net10.0/PriceFeed.Server.dll</c>.</summary>
    public static string ServerDll
    {
        get
        {
            var path = Path.Combine(Root, "feed-server", "bin", Configuration, "net10.0", "PriceFeed.Server.dll");
            Assert.True(File.Exists(path), $"The server is not built at {path}; run 'dotnet build -c {Configuration}' at {Root}.");
            return path;
        }
    }

    /// <summary>The built simulator command line, <c>feed-simulator/bin/CONFIGURATION/net10.0/PriceFeed.Simulator.dll</c>.</summary>
    public static string SimulatorDll
    {
        get
        {
            var path = Path.Combine(Root, "feed-simulator", "bin", Configuration, "net10.0", "PriceFeed.Simulator.dll");
            Assert.True(File.Exists(path), $"The simulator is not built at {path}; run 'dotnet build -c {Configuration}' at {Root}.");
            return path;
        }
    }

    /// <summary>A path under the repository root, from forward-slash parts.</summary>
    public static string Combine(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PriceFeed.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No PriceFeed.sln above {AppContext.BaseDirectory}: the tests must run from a build inside the repository.");
    }
}
