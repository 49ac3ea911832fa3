using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PriceFeed.Server.Security;

/// <summary>Checks the JWTs clients present with <c>--auth-secret</c> (docs/protocol.md, "Tokens") and reads who they name.</summary>
/// <remarks>
/// <para>Rules: HS256 with the server's secret and nothing else (<c>alg: none</c>, HS512 with the same key,
/// RS256 and friends are refused: pinning the algorithm is what stops algorithm-confusion attacks);
/// <c>exp</c> is required; <c>nbf</c> is honoured when present; no issuer or audience is checked, since the
/// secret is shared with the one party that mints tokens. A <c>symbols</c> claim that is not an array of
/// strings makes the token invalid rather than unrestricted.</para>
/// <para>Thread-safe: one instance serves every event loop. Results never carry the token or the library's
/// exception text, so nothing that reaches a log can replay it.</para>
/// </remarks>
internal sealed class TokenValidator
{
    /// <summary>RFC 7518 3.2: an HS256 key MUST be at least as long as the hash output, 256 bits.</summary>
    public const int MinSecretBytes = 32;

    /// <summary>The claim listing the symbols a user is entitled to (docs/protocol.md, "Tokens").</summary>
    public const string SymbolsClaim = "symbols";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;
    private readonly TokenValidationParameters _strictParameters;

    public TokenValidator(string secret, TimeSpan clockSkew)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var key = Encoding.UTF8.GetBytes(secret);
        if (key.Length < MinSecretBytes)
        {
            throw new ArgumentException($"The HS256 secret must be at least {MinSecretBytes} bytes (--auth-secret).", nameof(secret));
        }

        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(key),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = clockSkew,
            ValidateIssuer = false,
            ValidateAudience = false,
        };
        // An open connection has no skew allowance (docs/protocol.md, "Token refresh"): a refresh token must be
        // within its lifetime by the server's own clock.
        _strictParameters = _parameters.Clone();
        _strictParameters.ClockSkew = TimeSpan.Zero;
    }

    /// <summary>Validates <paramref name="token"/>. Never throws for a bad token; completes without blocking.</summary>
    /// <param name="token">The compact JWT.</param>
    /// <param name="withClockSkew">True at the handshake (the configured skew tolerates clocks that disagree); false
    /// for a token sent on an open connection, which must be within its lifetime by the server's clock.</param>
    public async Task<TokenCheck> ValidateAsync(string token, bool withClockSkew = true)
    {
        ArgumentNullException.ThrowIfNull(token);
        var result = await _handler.ValidateTokenAsync(token, withClockSkew ? _parameters : _strictParameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return result.Exception is SecurityTokenExpiredException ? TokenCheck.Expired : TokenCheck.Invalid;
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!TryReadEntitlements(jwt, out var entitlements))
        {
            return TokenCheck.Invalid;
        }

        var subject = string.IsNullOrEmpty(jwt.Subject) ? null : jwt.Subject;
        // The skew only widens the handshake's check: the connection itself ends at exp (docs/protocol.md, "Tokens").
        var expiresAt = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc));
        return new TokenCheck(TokenStatus.Valid, new ClientIdentity(subject, entitlements, expiresAt));
    }

    /// <summary>Reads the <c>symbols</c> claim strictly from the signed payload: absent, every symbol; an array of
    /// strings, those; anything else (a string, numbers, an object) fails rather than being coerced.</summary>
    private static bool TryReadEntitlements(JsonWebToken jwt, out Entitlements entitlements)
    {
        entitlements = Entitlements.All;
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        if (!payload.RootElement.TryGetProperty(SymbolsClaim, out var claim))
        {
            return true;
        }

        if (claim.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var entries = new List<string>(claim.GetArrayLength());
        foreach (var element in claim.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            entries.Add(element.GetString()!);
        }

        entitlements = Entitlements.Parse(entries);
        return true;
    }
}

/// <summary>What <see cref="TokenValidator"/> made of a token.</summary>
internal enum TokenStatus
{
    /// <summary>Signed with our secret by HS256, within its lifetime, well-formed claims.</summary>
    Valid,

    /// <summary>Malformed, wrongly signed, another algorithm, no <c>exp</c>, not yet valid, bad claims.</summary>
    Invalid,

    /// <summary>Well signed but past <c>exp</c> (plus the clock skew at the handshake).</summary>
    Expired,
}

/// <summary>The outcome of a token check: its status and, when valid, the identity it names.</summary>
internal sealed record TokenCheck(TokenStatus Status, ClientIdentity? Identity)
{
    public static readonly TokenCheck Invalid = new(TokenStatus.Invalid, null);

    public static readonly TokenCheck Expired = new(TokenStatus.Expired, null);
}
