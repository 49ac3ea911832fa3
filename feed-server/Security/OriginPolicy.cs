namespace PriceFeed.Server.Security;

/// <summary>Which browser origins may open <c>/ws</c> (<c>--allowed-origins</c>): the defence against
/// cross-site WebSocket hijacking.</summary>
/// <remarks>
/// <para>A browser attaches <c>Origin</c> to every WebSocket handshake and a page cannot forge it, but the
/// same-origin policy does not stop a page from opening a WebSocket to another site: without this check any
/// page a user visits could open the feed with the user's ambient credentials. A request whose
/// <c>Origin</c> is present and not listed is refused with 403.</para>
/// <para>A request without <c>Origin</c> is let through: it comes from a program (a quant script, a load tool,
/// a server), not from a browser page, and such a client could send any Origin it liked anyway, so refusing
/// it would protect nothing. Those clients are what tokens are for.</para>
/// <para>Origins are compared in their RFC 6454 serialization: scheme and host lower-case, the default port
/// left out, no path. The opaque origin <c>null</c> (sandboxed frames, <c>file:</c> pages) is allowed only when
/// listed. Immutable; thread-safe.</para>
/// </remarks>
internal sealed class OriginPolicy
{
    /// <summary>No <c>--allowed-origins</c>: every origin may connect.</summary>
    public static readonly OriginPolicy Any = new(null);

    private const string OpaqueOrigin = "null";

    private readonly HashSet<string>? _allowed;

    private OriginPolicy(HashSet<string>? allowed) => _allowed = allowed;

    /// <summary>Whether the policy restricts anything.</summary>
    public bool IsRestricted => _allowed is not null;

    /// <summary>The allowed origins, normalized; empty when unrestricted.</summary>
    public IEnumerable<string> Allowed => _allowed ?? Enumerable.Empty<string>();

    /// <summary>Reads a comma-separated list; false with a message naming the first entry that is not an origin.</summary>
    public static bool TryParse(string list, out OriginPolicy policy, out string error)
    {
        ArgumentNullException.ThrowIfNull(list);
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var range in list.AsSpan().Split(','))
        {
            var entry = list.AsSpan(range).Trim().ToString();
            if (entry.Length == 0)
            {
                continue;
            }

            if (!TryNormalize(entry, out var origin))
            {
                policy = Any;
                error = $"'{entry}' is not an origin; write scheme://host[:port], e.g. https://dashboard.example.com.";
                return false;
            }

            allowed.Add(origin);
        }

        if (allowed.Count == 0)
        {
            policy = Any;
            error = "the list is empty; leave the option out to allow every origin.";
            return false;
        }

        policy = new OriginPolicy(allowed);
        error = string.Empty;
        return true;
    }

    /// <summary>Whether a handshake with this <c>Origin</c> value (null: no such header) may proceed.</summary>
    public bool Allows(string? origin) =>
        _allowed is null || origin is null || (TryNormalize(origin, out var normalized) && _allowed.Contains(normalized));

    /// <summary>The RFC 6454 6.1 serialization of <paramref name="origin"/>; false when it is not an http(s) origin.</summary>
    internal static bool TryNormalize(string origin, out string normalized)
    {
        normalized = string.Empty;
        if (origin == OpaqueOrigin)
        {
            normalized = OpaqueOrigin;
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0
            || uri.PathAndQuery != "/"
            || uri.Fragment.Length > 0)
        {
            return false;
        }

        normalized = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";
        return true;
    }
}
