using System.Collections.Concurrent;
using System.Net;
using DotNetty.Transport.Channels;
using PriceFeed.Server.Metrics;

namespace PriceFeed.Server.Security;

/// <summary>Knows every open connection: enforces the connection limits (in all, per address) and lets shutdown reach them all.</summary>
/// <remarks>Thread-safe: channels open and close on every event loop. Per-address counts are kept only while an
/// address has connections, so the table is as large as the set of connected peers, not of every peer ever seen.</remarks>
internal sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<IChannel, IPAddress?> _channels = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly ServerMetrics _metrics;
    private readonly int _maxConnections;
    private readonly int _maxPerAddress;
    private int _open;

    public ConnectionTracker(int maxConnections, int maxPerAddress, ServerMetrics metrics)
    {
        _maxConnections = maxConnections;
        _maxPerAddress = maxPerAddress;
        _metrics = metrics;
    }

    public int Open => Volatile.Read(ref _open);

    public ICollection<IChannel> Channels => _channels.Keys;

    /// <summary>Connections open now from <paramref name="address"/>.</summary>
    public int OpenFrom(IPAddress address) => _perAddress.TryGetValue(Canonical(address), out var count) ? count : 0;

    /// <summary>Registers a new connection and says whether it fits the limits. A refused one is still tracked
    /// (and counted against its address) until it closes, since it is answered before it is closed.</summary>
    public ConnectionAdmission Add(IChannel channel)
    {
        var address = (channel.RemoteAddress as IPEndPoint)?.Address is { } remote ? Canonical(remote) : null;
        _channels[channel] = address;
        var open = Interlocked.Increment(ref _open);
        var fromAddress = address is null ? 0 : _perAddress.AddOrUpdate(address, 1, static (_, count) => count + 1);
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

        if (open > _maxConnections)
        {
            return ConnectionAdmission.ServerFull;
        }

        if (fromAddress > _maxPerAddress)
        {
            _metrics.LimitsExceeded.WithLabels(MetricLabels.ConnectionsPerIp).Inc();
            return ConnectionAdmission.AddressFull;
        }

        return ConnectionAdmission.Admitted;
    }

    private void Remove(IChannel channel)
    {
        if (!_channels.TryRemove(channel, out var address))
        {
            return;
        }

        _metrics.ConnectionsOpen.Set(Interlocked.Decrement(ref _open));
        if (address is null)
        {
            return;
        }

        // Decrement, and drop the entry when it reaches zero unless another connection raced it back up.
        while (_perAddress.TryGetValue(address, out var count))
        {
            if (count <= 1
                ? _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, count))
                : _perAddress.TryUpdate(address, count - 1, count))
            {
                return;
            }
        }
    }

    /// <summary>An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; count it as a.b.c.d.</summary>
    private static IPAddress Canonical(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
