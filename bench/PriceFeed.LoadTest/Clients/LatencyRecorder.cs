using HdrHistogram;

namespace PriceFeed.LoadTest.Clients;

/// <summary>
/// Latency histograms (ns) shared by many clients: from <c>publish_time_ns</c> (the server's own
/// part) and from <c>source_time_ns</c> (the scheduled time, so a stalled pipeline cannot hide);
/// and the publish-based one split at the message's <c>send_time_ns</c>: the server side
/// (send - publish) and the network with the client's own reading (arrival - send).
/// </summary>
/// <remarks>
/// A histogram is not thread-safe, so clients are spread over shards, each with its own
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
    public (LongHistogram FromPublish, LongHistogram FromSource, LongHistogram ServerSide, LongHistogram Network) Merge()
    {
        var fromPublish = NewHistogram();
        var fromSource = NewHistogram();
        var serverSide = NewHistogram();
        var network = NewHistogram();
        foreach (var shard in _shards)
        {
            lock (shard.Lock)
            {
                fromPublish.Add(shard.FromPublish);
                fromSource.Add(shard.FromSource);
                serverSide.Add(shard.ServerSide);
                network.Add(shard.Network);
            }
        }

        return (fromPublish, fromSource, serverSide, network);
    }

    /// <summary>One set of histograms and the lock that guards them.</summary>
    internal sealed class Shard
    {
        // The publish times of the current message's quotes, kept until its send time is known.
        // Guarded by the lock like the histograms, so one array serves every client of the shard;
        // it grows only for a message with more quotes than any before.
        private long[] _publishTimes = new long[64];
        private int _pending;

        public Lock Lock { get; } = new();

        public LongHistogram FromPublish { get; } = NewHistogram();

        public LongHistogram FromSource { get; } = NewHistogram();

        /// <summary>Per quote, <c>send_time_ns - publish_time_ns</c>: the server's fan-out and queueing for this client.</summary>
        public LongHistogram ServerSide { get; } = NewHistogram();

        /// <summary>Per quote, arrival - <c>send_time_ns</c>: the network and the client's own reading.</summary>
        public LongHistogram Network { get; } = NewHistogram();

        /// <summary>Starts a received message; the caller holds <see cref="Lock"/> until <see cref="EndMessage"/>.</summary>
        /// <remarks>Forgets what a message cut short by malformed bytes left pending.</remarks>
        public void BeginMessage() => _pending = 0;

        /// <summary>Records one quote's two latencies; the caller holds <see cref="Lock"/>.</summary>
        public void Record(long receivedNs, long publishTimeNs, long sourceTimeNs)
        {
            FromPublish.RecordValue(Clamp(receivedNs - publishTimeNs));
            FromSource.RecordValue(Clamp(receivedNs - sourceTimeNs));
            if (_pending == _publishTimes.Length)
            {
                Array.Resize(ref _publishTimes, _pending * 2);
            }

            _publishTimes[_pending++] = publishTimeNs;
        }

        /// <summary>
        /// Ends a message: splits the latency of the quotes recorded since <see cref="BeginMessage"/>
        /// at <paramref name="sendTimeNs"/>. A server that does not stamp it (0) adds nothing to
        /// either histogram, so the report shows no figure rather than a bogus one.
        /// </summary>
        public void EndMessage(long receivedNs, long sendTimeNs)
        {
            if (sendTimeNs != 0 && _pending > 0)
            {
                for (var i = 0; i < _pending; i++)
                {
                    ServerSide.RecordValue(Clamp(sendTimeNs - _publishTimes[i]));
                }

                // Recorded once per quote, not once per message, so that it weighs like the other
                // histograms: a 50-quote message counts 50 times, as it does from publish and source.
                Network.RecordValueWithCount(Clamp(receivedNs - sendTimeNs), _pending);
            }

            _pending = 0;
        }

        // Same clock on both sides, so negatives are only clock steps; beyond the range counts as the range.
        private static long Clamp(long ns) => Math.Clamp(ns, 0, HighestTrackableNs);
    }
}
