using System.Collections.Concurrent;

namespace PriceFeed.Tests.Codecs.Fuzzing;

/// <summary>Counts how fuzzed inputs ended, to show a run explored every outcome and not only the first error.</summary>
/// <remarks>Thread-safe: CsCheck samples on several threads in a long run.</remarks>
internal sealed class FuzzOutcomes
{
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public void Add(string outcome) => _counts.AddOrUpdate(outcome, 1, static (_, n) => n + 1);

    public override string ToString() =>
        "Outcomes: " + string.Join(", ", _counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value:N0}"));
}
