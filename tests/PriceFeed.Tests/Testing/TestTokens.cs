using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Testing;

/// <summary>Tokens for the tests: good ones from <see cref="TokenMinter"/>, and the bad kinds an attacker tries.</summary>
internal static class TestTokens
{
    /// <summary>48 bytes: over the 32-byte minimum, like a secret from <c>openssl rand -base64 36</c>.</summary>
    public const string Secret = "test-secret-0123456789-abcdefghijklmnopqrstuvwxy";

    public const string OtherSecret = "another-secret-0123456789-abcdefghijklmnopqrstuv";

    public static TokenValidator Validator(TimeSpan? clockSkew = null) => new(Secret, clockSkew ?? TimeSpan.Zero);

    /// <summary>A valid HS256 token for <paramref name="subject"/>.</summary>
    public static string Mint(string subject = "alice", string[]? symbols = null, TimeSpan? ttl = null, string secret = Secret) =>
        TokenMinter.Mint(secret, subject, symbols, ttl ?? TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    /// <summary>A token whose <c>exp</c> passed <paramref name="ago"/> ago (issued before that).</summary>
    public static string Expired(TimeSpan ago) =>
        TokenMinter.Mint(Secret, "alice", null, TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow - ago - TimeSpan.FromMinutes(1));

    /// <summary>A valid-looking token signed with the same secret by another HMAC (<c>HS384</c>, <c>HS512</c>),
    /// made by hand since the library will not sign with a key shorter than the hash.</summary>
    public static string WithAlgorithm(string algorithm) =>
        SignedPayload("""{"sub":"mallory","exp":4102444800}""", algorithm);

    /// <summary>An unsigned token (<c>alg: none</c>, empty signature), the oldest JWT attack.</summary>
    public static string AlgNone(string payloadJson = """{"sub":"mallory","exp":4102444800}""") =>
        $"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Base64Url(payloadJson)}.";

    /// <summary>A token whose payload is exactly <paramref name="payloadJson"/>, signed with <see cref="Secret"/> by
    /// <paramref name="algorithm"/> (HS256, HS384 or HS512).</summary>
    public static string SignedPayload(string payloadJson, string algorithm = SecurityAlgorithms.HmacSha256)
    {
        var signingInput = $"{Base64Url($$"""{"alg":"{{algorithm}}","typ":"JWT"}""")}.{Base64Url(payloadJson)}";
        var key = Encoding.UTF8.GetBytes(Secret);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = algorithm switch
        {
            SecurityAlgorithms.HmacSha256 => HMACSHA256.HashData(key, data),
            SecurityAlgorithms.HmacSha384 => HMACSHA384.HashData(key, data),
            SecurityAlgorithms.HmacSha512 => HMACSHA512.HashData(key, data),
            _ => throw new ArgumentException($"{algorithm} is not an HMAC this helper signs with.", nameof(algorithm)),
        };
        return $"{signingInput}.{Base64UrlEncoder.Encode(signature)}";
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
}
