using System.Globalization;

namespace PriceFeed.Tests.Testing;

/// <summary>The seed of a randomized test: the one an environment variable gives (to replay a run), or a new one.</summary>
internal static class TestSeed
{
    public static int From(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given)
            ? given
            : Random.Shared.Next();

    /// <summary>The number an environment variable gives, or null (a case to run alone, for example).</summary>
    public static int? Optional(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given)
            ? given
            : null;
}
