using DotNetty.Transport.Channels;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Security;

/// <summary>Bounds the memory queued for all clients together (<c>--max-queued-bytes</c>): past the cap, the
/// clients furthest behind are closed with 4001.</summary>
/// <remarks>
/// <para>What is measured: the bytes each channel has been handed and its socket has not yet taken, which
/// DotNetty already keeps per channel (<see cref="ChannelOutboundBuffer.TotalPendingWriteBytes"/>) to drive
/// writability. The fan-out stops writing quotes to a channel at its 64 KiB high-water mark, and what it holds
/// back meanwhile is conflated or dropped in the client's own bounded queue; so this is where the memory a slow
/// client costs lives (with snapshots and control messages, which are written whatever the mark).</para>
/// <para>How: a timer every <see cref="Interval"/> sums the channels' counters (one field read each, no lock, off
/// the event loops and the fan-out thread; the hot path pays nothing). Over the cap, it closes clients, most
/// bytes pending first, until what is left fits: those are the ones that cost the most and are furthest behind,
/// and each would soon be closed with 4001 by the slow-consumer grace anyway. Closing rather than pausing keeps
/// the contract's guarantees whole: a client is either served in order or told why it is not.</para>
/// <para>Sampling means a burst can overshoot the cap for up to one interval; the cap is a bound on sustained
/// memory, not an allocator limit. Thread-safe: the timer's callbacks do not overlap.</para>
/// </remarks>
internal sealed class QueuedBytesMonitor : IDisposable
{
    /// <summary>250 ms: quick next to the slow-consumer grace (seconds), and 20,000 reads four times a second is noise.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly ConnectionTracker _connections;
    private readonly ServerMetrics _metrics;
    private readonly long _maxQueuedBytes;
    private readonly Timer _timer;
    private readonly Lock _checking = new();

    // Channels this monitor has closed and that are still draining their close handshake: counted in the
    // total (their bytes are still held) but not chosen again. Touched only inside Check.
    private readonly HashSet<IChannel> _closing = [];

    public QueuedBytesMonitor(ConnectionTracker connections, long maxQueuedBytes, ServerMetrics metrics)
    {
        _connections = connections;
        _maxQueuedBytes = maxQueuedBytes;
        _metrics = metrics;
        _timer = new Timer(static s => ((QueuedBytesMonitor)s!).Check(), this, Interval, Interval);
    }

    /// <summary>Measures, publishes the total, and closes clients if over the cap. The timer's callback.</summary>
    private void Check()
    {
        if (!_checking.TryEnter())
        {
            return;
        }

        try
        {
            var pending = new List<(IChannel Channel, long Bytes)>();
            long total = 0;
            long leaving = 0;
            var stillClosing = new HashSet<IChannel>();
            foreach (var channel in _connections.Channels)
            {
                var bytes = channel.Unsafe.OutboundBuffer?.TotalPendingWriteBytes() ?? 0;
                total += bytes;
                if (_closing.Contains(channel))
                {
                    stillClosing.Add(channel);
                    leaving += bytes;
                }
                else if (bytes > 0)
                {
                    pending.Add((channel, bytes));
                }
            }

            _closing.IntersectWith(stillClosing);
            _metrics.QueuedBytes.Set(total);
            foreach (var (channel, _) in SelectToClose(pending, total - leaving, _maxQueuedBytes))
            {
                _closing.Add(channel);
                _metrics.LimitsExceeded.WithLabels(MetricLabels.QueuedBytes).Inc();
                _metrics.SlowConsumerCloses.Inc();
                _metrics.Closes.WithLabels("4001").Inc();
                WebSocketProtocolHandler.InitiateClose(channel, FeedCloseStatus.SlowConsumer, "slow consumer: server send memory full");
            }
        }
        finally
        {
            _checking.Exit();
        }
    }

    /// <summary>The entries to close so that the rest sum to at most <paramref name="cap"/>: largest first.</summary>
    internal static IEnumerable<(T Item, long Bytes)> SelectToClose<T>(IReadOnlyCollection<(T Item, long Bytes)> pending, long total, long cap)
    {
        foreach (var entry in pending.OrderByDescending(p => p.Bytes))
        {
            if (total <= cap)
            {
                yield break;
            }

            total -= entry.Bytes;
            yield return entry;
        }
    }

    public void Dispose() => _timer.Dispose();
}
