namespace PriceFeed.Server.Session;

/// <summary>Files embedded in the server (the dashboard), served by path: the server needs nothing beside it.</summary>
/// <remarks>Loaded once at start-up into memory; immutable after, so any event loop may read it.</remarks>
internal sealed class StaticFiles
{
    private const string ResourcePrefix = "PriceFeed.Server.Session.Dashboard.";

    private static readonly Dictionary<string, string> s_contentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".json"] = "application/json",
        [".txt"] = "text/plain; charset=utf-8",
    };

    private readonly Dictionary<string, (byte[] Body, string ContentType)> _files = new(StringComparer.Ordinal);

    public StaticFiles()
    {
        var assembly = typeof(StaticFiles).Assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var fileName = name[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var contentType = s_contentTypes.GetValueOrDefault(Path.GetExtension(fileName), "application/octet-stream");
            _files["/" + fileName] = (memory.ToArray(), contentType);
        }

        if (_files.TryGetValue("/index.html", out var index))
        {
            _files["/"] = index;
        }
    }

    public bool TryGet(string path, out byte[] body, out string contentType)
    {
        if (_files.TryGetValue(path, out var file))
        {
            (body, contentType) = file;
            return true;
        }

        body = [];
        contentType = "";
        return false;
    }
}
