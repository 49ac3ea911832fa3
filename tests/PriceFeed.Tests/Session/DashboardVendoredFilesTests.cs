using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Session;

/// <summary>
/// The dashboard's vendored chart library (tools/dashboard-vendor/update.sh copies it into
/// <c>feed-server/Session/Dashboard/</c>): embedded and served by the server itself, with its license, and the copy
/// committed is the version package.json pins.
/// </summary>
public sealed partial class DashboardVendoredFilesTests
{
    private const string Library = "lightweight-charts.standalone.production.js";

    [Theory]
    [InlineData("/" + Library, "text/javascript")]
    [InlineData("/lightweight-charts.LICENSE.txt", "text/plain")]
    [InlineData("/lightweight-charts.NOTICE.txt", "text/plain")]
    [InlineData("/chart.js", "text/javascript")]
    public async Task TheServerServesTheFileWithItsContentType(string path, string mediaType)
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.HttpClient.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var committed = await File.ReadAllBytesAsync(Path.Combine(DashboardFolder, path.TrimStart('/')));
        Assert.Equal(committed, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task TheCommittedLibraryIsThePinnedVersion()
    {
        using var package = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "tools", "dashboard-vendor", "package.json")));
        var pinned = package.RootElement.GetProperty("dependencies").GetProperty("lightweight-charts").GetString();

        // The library's own banner: "TradingView Lightweight Charts™ v5.2.1".
        using var reader = new StreamReader(Path.Combine(DashboardFolder, Library));
        var head = new char[400];
        var read = await reader.ReadBlockAsync(head);
        var banner = VersionBanner().Match(new string(head, 0, read));

        Assert.True(banner.Success, $"{Library} does not start with the library's version banner");
        Assert.Equal(pinned, banner.Groups["version"].Value);
        Assert.Contains($"v{pinned}", await File.ReadAllTextAsync(Path.Combine(DashboardFolder, "lightweight-charts.NOTICE.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePageLoadsTheLibraryFromTheServerNotACdn()
    {
        var index = await File.ReadAllTextAsync(Path.Combine(DashboardFolder, "index.html"));

        Assert.Contains($"<script src=\"{Library}\"", index, StringComparison.Ordinal);
        Assert.DoesNotMatch(ExternalScript(), index);
    }

    private static string DashboardFolder => Path.Combine(RepositoryPaths.Root, "feed-server", "Session", "Dashboard");

    [GeneratedRegex(@"Lightweight Charts\S* v(?<version>\d+\.\d+\.\d+\S*)")]
    private static partial Regex VersionBanner();

    [GeneratedRegex(@"<(script|link)[^>]+(src|href)=""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalScript();
}
