using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PriceFeed.Server.Security;

/// <summary>Makes tokens the server accepts: HS256, <c>sub</c>, <c>exp</c> and optionally <c>symbols</c>.</summary>
/// <remarks>For tests, demos and the <c>mint-token</c> command; production tokens come from whoever holds the
/// secret beside the licensing system. Thread-safe.</remarks>
internal static class TokenMinter
{
    /// <summary>A signed token for <paramref name="subject"/>, valid from <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    /// <param name="secret">The server's <c>--auth-secret</c>.</param>
    /// <param name="subject">The user, as the <c>sub</c> claim.</param>
    /// <param name="symbols">The entitlement entries (exact symbols, prefixes ending in <c>*</c>); null: no claim, every symbol.</param>
    /// <param name="lifetime">From <paramref name="now"/> to <c>exp</c>; JWT times are whole seconds, so it is rounded down.</param>
    /// <param name="now">The issue time (<c>iat</c> and <c>nbf</c>).</param>
    public static string Mint(string secret, string subject, IReadOnlyList<string>? symbols, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(subject);
        var claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = subject };
        if (symbols is not null)
        {
            claims[TokenValidator.SymbolsClaim] = symbols.ToArray();
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
