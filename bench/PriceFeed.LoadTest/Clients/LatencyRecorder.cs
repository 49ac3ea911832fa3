using HdrHistogram;

namespace PriceFeed.LoadTest.Clients;

/// <summary>
/// Latency histograms (ns) shared by many clients: from <c>publish_time_ns</c> (the server's own
/// part) and from <c>source_time_ns</c> (the scheduled time, so a stalled pipeline cannot hide).
/// </summary>
/// <remarks>
/// A histogram is not thread-safe, so clients are spread over shards, each with its own pair of
/// histograms and lock; a client takes its shard's lock once per received message, not per quote.
/// </remarks>
internal sealed class LatencyRecorder
{
    /// <summary>One minute: anything later is recorded as one minute.</summary>
    public const long HighestTrackableNs = 60_000_000_000;

    // Three significant digits: 0.1% resolution at every magnitude.
    private const int SignificantDigits = 3;

    private readonly Shard[] _shards;

    public LatencyRecorder(int shards)
    {
        _shards = new Shard[shards];
        for (var i = 0; i < shards; i++)
        {
            _shards[i] = new Shard();
        }
    }

    public static LongHistogram NewHistogram() => new(HighestTrackableNs, SignificantDigits);

    /// <summary>The shard client <paramref name="clientId"/> records into.</summary>
    public Shard For(int clientId) => _shards[clientId % _shards.Length];

    /// <summary>All shards added together; call once the clients stopped recording.</summary>
    public (LongHistogram FromPublish, LongHistogram FromSource) Merge()
    {
        var fromPublish = NewHistogram();
        var fromSource = NewHistogram();
        foreach (var shard in _shards)
        {
            lock (shard.Lock)
            {
                fromPublish.Add(shard.FromPublish);
                fromSource.Add(shard.FromSource);
            }
        }

        return (fromPublish, fromSource);
    }

    /// <summary>One pair of histograms and the lock that guards them.</summary>
    internal sealed class Shard
    {
        public Lock Lock { get; } = new();

        public LongHistogram FromPublish { get; } = NewHistogram();

        public LongHistogram FromSource { get; } = NewHistogram();

        /// <summary>Records one quote's two latencies; the caller holds <see cref="Lock"/>.</summary>
        public void Record(long receivedNs, long publishTimeNs, long sourceTimeNs)
        {
            FromPublish.RecordValue(Clamp(receivedNs - publishTimeNs));
            FromSource.RecordValue(Clamp(receivedNs - sourceTimeNs));
        }

        // Same clock on both sides, so negatives are only clock steps; beyond the range counts as the range.
        private static long Clamp(long ns) => Math.Clamp(ns, 0, HighestTrackableNs);
    }
}
