using PriceFeed.Server.Security;

namespace PriceFeed.Tests.Security;

public sealed class OriginPolicyTests
{
    private static OriginPolicy Parse(string list)
    {
        Assert.True(OriginPolicy.TryParse(list, out var policy, out var error), error);
        return policy;
    }

    [Theory]
    [InlineData("https://dash.example.com", true)]
    [InlineData("HTTPS://Dash.Example.com", true)]
    [InlineData("https://dash.example.com:443", true)]
    [InlineData("http://localhost:3000", true)]
    [InlineData("http://localhost:3001", false)]
    [InlineData("http://dash.example.com", false)]
    [InlineData("https://evil.example.com", false)]
    [InlineData("https://dash.example.com.evil.com", false)]
    [InlineData("null", false)]
    [InlineData("not an origin", false)]
    [InlineData(null, true)]
    public void AllowsListedOriginsAndRequestsWithoutOne(string? origin, bool allowed) =>
        Assert.Equal(allowed, Parse("https://dash.example.com/, http://localhost:3000").Allows(origin));

    [Fact]
    public void WithoutAListEveryOriginIsAllowed()
    {
        Assert.False(OriginPolicy.Any.IsRestricted);
        Assert.True(OriginPolicy.Any.Allows("https://evil.example.com"));
    }

    [Fact]
    public void TheOpaqueOriginIsAllowedOnlyWhenListed() =>
        Assert.True(Parse("null").Allows("null"));

    [Theory]
    [InlineData("dash.example.com")]
    [InlineData("https://dash.example.com/app")]
    [InlineData("ftp://dash.example.com")]
    [InlineData("https://user@dash.example.com")]
    [InlineData(" , ")]
    public void RefusesEntriesThatAreNotOrigins(string list)
    {
        Assert.False(OriginPolicy.TryParse(list, out _, out var error));
        Assert.NotEmpty(error);
    }
}
