namespace PriceFeed.Simulation;

/// <summary>Names of the independent random streams drawn from one user seed.</summary>
/// <remarks>Separate streams keep the universe unchanged when the quote model changes, and the
/// reverse; a stream's number must never change, or a seed would stop reproducing old runs.</remarks>
internal static class RandomStreams
{
    public const ulong Universe = 1;
    public const ulong Quotes = 2;
}
