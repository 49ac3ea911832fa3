using PriceFeed.Server.Codecs.Http;

namespace PriceFeed.Server.Security;

/// <summary>Finds the token of an upgrade request: <c>Authorization: Bearer</c>, else <c>?token=</c> (docs/protocol.md, "Tokens").</summary>
/// <remarks>The query form exists because browsers cannot set headers on a WebSocket; a query string ends up in
/// proxy and access logs, so clients that can send the header should. Neither form is ever logged here.</remarks>
internal static class BearerToken
{
    /// <summary>RFC 6750 2.1: the scheme of the Authorization field; RFC 9110 11.1: compared case-insensitively.</summary>
    public const string Scheme = "Bearer";

    /// <summary>The query parameter browsers use instead of the header.</summary>
    public const string QueryParameter = "token";

    /// <summary>The token in <paramref name="request"/>, or null when it carries none.</summary>
    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Get("Authorization");
        if (authorization is not null
            && authorization.Length > Scheme.Length
            && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && authorization[Scheme.Length] == ' ')
        {
            var token = authorization[(Scheme.Length + 1)..].Trim();
            if (token.Length > 0)
            {
                return token;
            }
        }

        var fromQuery = request.GetQueryParameter(QueryParameter);
        return string.IsNullOrEmpty(fromQuery) ? null : fromQuery;
    }
}
