using PriceFeed.Server.Codecs.Http;

namespace PriceFeed.Tests.Codecs.Http;

public sealed class HttpRequestTests
{
    [Theory]
    [InlineData(1, null, true)]
    [InlineData(1, "close", false)]
    [InlineData(1, "Keep-Alive, Close", false)]
    [InlineData(1, "Upgrade", true)]
    [InlineData(0, null, false)]
    [InlineData(0, "keep-alive", true)]
    [InlineData(0, "KEEP-ALIVE", true)]
    public void KeepsTheConnectionAliveByVersionAndConnectionHeader(int versionMinor, string? connection, bool keepAlive)
    {
        var headers = new HttpHeaders();
        if (connection is not null)
        {
            headers.Add("Connection", connection);
        }

        Assert.Equal(keepAlive, new HttpRequest("GET", "/", versionMinor, headers).KeepAlive);
    }

    [Theory]
    [InlineData("/ws?token=abc.def", "token", "abc.def")]
    [InlineData("/ws?a=1&token=x%2By%20z", "token", "x+y z")]
    [InlineData("/ws?q=a+b", "q", "a b")]
    [InlineData("/ws?flag&x=1", "flag", "")]
    [InlineData("/ws?x=1&x=2", "x", "1")]
    [InlineData("/ws?x=1", "token", null)]
    [InlineData("/ws", "token", null)]
    [InlineData("/ws?caf%C3%A9=1", "caf\u00E9", "1")]
    public void FindsPercentDecodedQueryParameters(string target, string name, string? value) =>
        Assert.Equal(value, new HttpRequest("GET", target, 1, new HttpHeaders()).GetQueryParameter(name));

    [Theory]
    [InlineData("/", "/", "")]
    [InlineData("/api/symbols?", "/api/symbols", "")]
    [InlineData("/a%20b?c=d", "/a b", "c=d")]
    [InlineData("http://example.com:8080/ws?x=1", "/ws", "x=1")]
    [InlineData("http://example.com", "/", "")]
    [InlineData("*", "*", "")]
    public void SplitsTheTargetIntoPathAndQuery(string target, string path, string query)
    {
        var request = new HttpRequest("GET", target, 1, new HttpHeaders());

        Assert.Equal(path, request.Path);
        Assert.Equal(query, request.Query);
        Assert.Equal(target, request.Target);
    }

    [Theory]
    [InlineData("Upgrade", true)]
    [InlineData("keep-alive, Upgrade", true)]
    [InlineData("keep-alive,upgrade", true)]
    [InlineData(" \tUPGRADE\t ", true)]
    [InlineData("keep-alive", false)]
    [InlineData("upgrades", false)]
    [InlineData("keep-alive upgrade", false)]
    public void FindsATokenInACommaSeparatedListCaseInsensitively(string value, bool found)
    {
        var headers = new HttpHeaders();
        headers.Add("Connection", value);

        Assert.Equal(found, headers.ContainsToken("connection", "upgrade"));
    }

    [Fact]
    public void FindsATokenInAnyLineOfARepeatedHeader()
    {
        var headers = new HttpHeaders();
        headers.Add("Connection", "keep-alive");
        headers.Add("Host", "h");
        headers.Add("connection", "Upgrade");

        Assert.True(headers.ContainsToken("CONNECTION", "upgrade"));
        Assert.Equal(["keep-alive", "Upgrade"], headers.GetAll("Connection"));
        Assert.Equal("keep-alive", headers.Get("connection"));
        Assert.Null(headers.Get("Upgrade"));
        Assert.Empty(headers.GetAll("Upgrade"));
        Assert.Equal(3, headers.Count);
    }
}
