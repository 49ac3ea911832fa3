namespace PriceFeed.Server.Codecs.Http;

/// <summary>One HTTP/1.x request head, as <see cref="HttpRequestDecoder"/> read it (we accept no bodies).</summary>
internal sealed class HttpRequest
{
    /// <summary>Creates a request from its parsed request line and header fields.</summary>
    public HttpRequest(string method, string target, int versionMinor, HttpHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(headers);
        Method = method;
        Target = target;
        VersionMinor = versionMinor;
        Headers = headers;

        var pathAndQuery = OriginFormOf(target);
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? pathAndQuery : pathAndQuery[..question];
        Query = question < 0 ? string.Empty : pathAndQuery[(question + 1)..];
        Path = Uri.UnescapeDataString(rawPath);
    }

    /// <summary>The method exactly as sent (methods are case-sensitive, RFC 9110 9.1).</summary>
    public string Method { get; }

    /// <summary>The raw request-target of the request line.</summary>
    public string Target { get; }

    /// <summary>The percent-decoded path, without the query; "*" for the asterisk form.</summary>
    public string Path { get; }

    /// <summary>The raw query without the '?', empty when there is none.</summary>
    public string Query { get; }

    /// <summary>0 for HTTP/1.0, 1 for HTTP/1.1 (higher minor versions are read as 1.1, RFC 9110 2.5).</summary>
    public int VersionMinor { get; }

    /// <summary>The header fields.</summary>
    public HttpHeaders Headers { get; }

    /// <summary>Whether the connection stays open after the response (RFC 9112 9.3): HTTP/1.1 unless
    /// <c>Connection: close</c>; HTTP/1.0 only with <c>Connection: keep-alive</c>.</summary>
    public bool KeepAlive => VersionMinor >= 1
        ? !Headers.ContainsToken("Connection", "close")
        : Headers.ContainsToken("Connection", "keep-alive");

    /// <summary>The percent-decoded value of the first query parameter named <paramref name="name"/>, or null.</summary>
    /// <remarks>Parameters are split on '&amp;' and '=' and, as in HTML form encoding, '+' means a space.</remarks>
    public string? GetQueryParameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var range in Query.AsSpan().Split('&'))
        {
            var pair = Query.AsSpan(range);
            var equals = pair.IndexOf('=');
            var key = equals < 0 ? pair : pair[..equals];
            if (Decode(key) == name)
            {
                return equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {Target} HTTP/1.{VersionMinor}";

    private static string Decode(ReadOnlySpan<char> component) => Uri.UnescapeDataString(component.ToString().Replace('+', ' '));

    /// <summary>RFC 9112 3.2.2: a server MUST accept the absolute form; its path and query are what we route on.</summary>
    private static string OriginFormOf(string target)
    {
        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0 || target[0] == '/')
        {
            return target;
        }

        var pathStart = target.IndexOfAny(['/', '?'], scheme + 3);
        return pathStart < 0 ? "/" : target[pathStart] == '?' ? "/" + target[pathStart..] : target[pathStart..];
    }
}
