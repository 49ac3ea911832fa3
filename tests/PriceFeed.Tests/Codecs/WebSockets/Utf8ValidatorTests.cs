using System.Text;
using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Tests.Codecs.WebSockets;

public sealed class Utf8ValidatorTests
{
    public static TheoryData<string> ValidTexts => new()
    {
        string.Empty,
        "plain ASCII, long enough to take the vectorized path at least once",
        "caf\u00E9 \u20AC \uD83D\uDE00 \uFFFD \u07FF \u0800 \uFFFF",
        "\uDBFF\uDFFF",
    };

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void AcceptsValidUtf8WholeAndByteByByte(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.True(Utf8Validator.IsValid(bytes));

        var validator = default(Utf8Validator);
        foreach (var b in bytes)
        {
            Assert.True(validator.Advance([b]));
        }

        Assert.True(validator.IsComplete);
    }

    [Theory]
    [InlineData(new byte[] { 0x80 })]                   // a continuation byte with no lead
    [InlineData(new byte[] { 0xC0, 0x80 })]             // overlong NUL
    [InlineData(new byte[] { 0xC1, 0xBF })]             // overlong two-byte form
    [InlineData(new byte[] { 0xE0, 0x80, 0x80 })]       // overlong three-byte form
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]       // U+D800, a surrogate
    [InlineData(new byte[] { 0xF0, 0x80, 0x80, 0x80 })] // overlong four-byte form
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // U+110000, past the last code point
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80 })] // a lead byte that cannot occur
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xE2, 0x28, 0xA1 })]       // a lead byte not followed by a continuation
    public void RejectsIllFormedSequences(byte[] bytes)
    {
        var validator = default(Utf8Validator);

        Assert.False(validator.Advance(bytes));
        Assert.True(validator.IsInvalid);
        Assert.False(Utf8Validator.IsValid(bytes));
    }

    [Fact]
    public void ReportsAnIncompleteCodePointAsNotCompleteButNotInvalid()
    {
        var validator = default(Utf8Validator);

        Assert.True(validator.Advance([0xF0, 0x9F, 0x98]));

        Assert.False(validator.IsComplete);
        Assert.False(validator.IsInvalid);
        Assert.True(validator.Advance([0x80]));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void AgreesWithTheRuntimeOnEveryTwoByteSequence()
    {
        for (var first = 0; first < 256; first++)
        {
            for (var second = 0; second < 256; second++)
            {
                byte[] bytes = [(byte)first, (byte)second];
                Assert.Equal(System.Text.Unicode.Utf8.IsValid(bytes), Utf8Validator.IsValid(bytes));
            }
        }
    }
}
