namespace PriceFeed.Server.Security;

/// <summary>Who is on a connection, as its token says: the user, the symbols licensed, when the token expires.</summary>
/// <param name="Subject">The <c>sub</c> claim; null when absent or when the server runs without tokens.</param>
/// <param name="Entitlements">What the <c>symbols</c> claim allows (every symbol when absent).</param>
/// <param name="ValidUntil">When the connection must end: the token's <c>exp</c> itself (the clock skew applies to the
/// handshake only, docs/protocol.md, "Tokens"); null without tokens.</param>
internal sealed record ClientIdentity(string? Subject, Entitlements Entitlements, DateTimeOffset? ValidUntil)
{
    /// <summary>A client of a server started without <c>--auth-secret</c>: anyone, every symbol, no expiry.</summary>
    public static readonly ClientIdentity Anonymous = new(null, Entitlements.All, null);
}
