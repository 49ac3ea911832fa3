using System.Collections.Concurrent;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Transport;

/// <summary>Knows every open connection: enforces the connection limit and lets shutdown reach them all.</summary>
/// <remarks>Thread-safe: channels open and close on every event loop.</remarks>
internal sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<IChannel, byte> _channels = new();
    private readonly ServerMetrics _metrics;
    private readonly int _maxConnections;
    private int _open;

    public ConnectionTracker(int maxConnections, ServerMetrics metrics)
    {
        _maxConnections = maxConnections;
        _metrics = metrics;
    }

    public int Open => Volatile.Read(ref _open);

    public ICollection<IChannel> Channels => _channels.Keys;

    /// <summary>Registers a new connection; false when it is over the limit (it is still tracked, to be answered and closed).</summary>
    public bool Add(IChannel channel)
    {
        _channels[channel] = 0;
        var open = Interlocked.Increment(ref _open);
        _metrics.ConnectionsAccepted.Inc();
        _metrics.ConnectionsOpen.Set(open);
        channel.CloseCompletion.ContinueWith(
            static (_, state) =>
            {
                var (tracker, ch) = ((ConnectionTracker, IChannel))state!;
                tracker.Remove(ch);
            },
            (this, channel),
            TaskScheduler.Default);
        return open <= _maxConnections;
    }

    private void Remove(IChannel channel)
    {
        if (_channels.TryRemove(channel, out _))
        {
            _metrics.ConnectionsOpen.Set(Interlocked.Decrement(ref _open));
        }
    }
}
