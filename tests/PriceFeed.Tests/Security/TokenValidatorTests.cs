using Microsoft.IdentityModel.Tokens;
using PriceFeed.Server.Security;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Security;

public sealed class TokenValidatorTests
{
    [Fact]
    public async Task AcceptsAMintedTokenAndReadsSubjectEntitlementsAndExpiry()
    {
        var before = DateTimeOffset.UtcNow;

        var check = await TestTokens.Validator().ValidateAsync(TestTokens.Mint("alice", ["AAPL", "MS*"], TimeSpan.FromMinutes(10)));

        Assert.Equal(TokenStatus.Valid, check.Status);
        var identity = check.Identity!;
        Assert.Equal("alice", identity.Subject);
        Assert.True(identity.Entitlements.Allows("AAPL"));
        Assert.True(identity.Entitlements.Allows("MSFT"));
        Assert.False(identity.Entitlements.Allows("AAP"));
        Assert.False(identity.Entitlements.Allows("IBM"));
        Assert.InRange(identity.ValidUntil!.Value, before.AddMinutes(10).AddSeconds(-2), before.AddMinutes(10).AddSeconds(1));
    }

    [Fact]
    public async Task ATokenWithoutSymbolsIsEntitledToEverySymbol()
    {
        var check = await TestTokens.Validator().ValidateAsync(TestTokens.Mint());

        Assert.True(check.Identity!.Entitlements.AllowsAll);
    }

    [Fact]
    public async Task ValidUntilIsTheTokensExpWithoutTheClockSkew()
    {
        var check = await TestTokens.Validator(TimeSpan.FromSeconds(30)).ValidateAsync(TestTokens.Mint(ttl: TimeSpan.FromMinutes(1)));

        Assert.InRange(check.Identity!.ValidUntil!.Value, DateTimeOffset.UtcNow.AddSeconds(55), DateTimeOffset.UtcNow.AddSeconds(61));
    }

    [Fact]
    public async Task RefusesATokenExpiredWithinTheClockSkewWhenSentOnAnOpenConnection()
    {
        var validator = TestTokens.Validator(TimeSpan.FromSeconds(30));
        var token = TestTokens.Expired(TimeSpan.FromSeconds(5));

        Assert.Equal(TokenStatus.Valid, (await validator.ValidateAsync(token)).Status);
        Assert.Equal(TokenStatus.Expired, (await validator.ValidateAsync(token, withClockSkew: false)).Status);
    }

    [Fact]
    public async Task RefusesAnExpiredTokenAsExpired()
    {
        var check = await TestTokens.Validator(TimeSpan.FromSeconds(30)).ValidateAsync(TestTokens.Expired(TimeSpan.FromMinutes(5)));

        Assert.Equal(TokenStatus.Expired, check.Status);
        Assert.Null(check.Identity);
    }

    [Fact]
    public async Task AcceptsATokenExpiredWithinTheClockSkew()
    {
        var check = await TestTokens.Validator(TimeSpan.FromSeconds(30)).ValidateAsync(TestTokens.Expired(TimeSpan.FromSeconds(5)));

        Assert.Equal(TokenStatus.Valid, check.Status);
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "alg none", TestTokens.AlgNone() },
        { "HS512 with the same secret", TestTokens.WithAlgorithm(SecurityAlgorithms.HmacSha512) },
        { "HS384 with the same secret", TestTokens.WithAlgorithm(SecurityAlgorithms.HmacSha384) },
        { "signed with another secret", TestTokens.Mint(secret: TestTokens.OtherSecret) },
        { "no exp", TestTokens.SignedPayload("""{"sub":"alice"}""") },
        { "symbols is a string", TestTokens.SignedPayload("""{"sub":"alice","exp":4102444800,"symbols":"AAPL"}""") },
        { "symbols holds a number", TestTokens.SignedPayload("""{"sub":"alice","exp":4102444800,"symbols":["AAPL",7]}""") },
        { "not yet valid", TestTokens.SignedPayload("""{"sub":"alice","exp":4102444800,"nbf":4102440000}""") },
        { "garbage", "not-a-token" },
        { "two parts", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0" },
        { "signature tampered", TestTokens.Mint()[..^2] + "AA" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task RefusesBadTokensAsInvalid(string kind, string token)
    {
        var check = await TestTokens.Validator().ValidateAsync(token);

        Assert.True(check.Status == TokenStatus.Invalid, $"{kind}: expected Invalid, got {check.Status}");
        Assert.Null(check.Identity);
    }

    [Fact]
    public async Task ASignedTokenWithASymbolsArrayIsValid()
    {
        var check = await TestTokens.Validator().ValidateAsync(TestTokens.SignedPayload("""{"exp":4102444800,"symbols":["X*"]}"""));

        Assert.Equal(TokenStatus.Valid, check.Status);
        Assert.Null(check.Identity!.Subject);
        Assert.True(check.Identity.Entitlements.Allows("XYZ"));
        Assert.False(check.Identity.Entitlements.Allows("AAPL"));
    }

    [Fact]
    public void RefusesASecretShorterThan32Bytes() =>
        Assert.Throws<ArgumentException>(() => new TokenValidator(new string('k', 31), TimeSpan.Zero));
}
