using System.Text.Json;
using PriceFeed.Server.Fanout;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Sources;

namespace PriceFeed.Server.Session;

/// <summary>The bodies of <c>/api/symbols</c>, <c>/healthz</c> and <c>/metrics</c>.</summary>
/// <remarks>Called from any event loop; the symbol list is cached until a symbol is added.</remarks>
internal sealed class StatusEndpoints
{
    private readonly IServerStatus _server;
    private readonly SymbolTable _symbolTable;
    private readonly SubscriptionService _subscriptions;
    private readonly ServerMetrics _metrics;
    private SymbolsBody _symbols = new(-1, []);

    public StatusEndpoints(IServerStatus server, SymbolTable symbols, SubscriptionService subscriptions, ServerMetrics metrics)
    {
        _server = server;
        _symbolTable = symbols;
        _subscriptions = subscriptions;
        _metrics = metrics;
    }

    /// <summary>A JSON array of every symbol, in the order they appeared.</summary>
    public byte[] SymbolsJson()
    {
        var cached = Volatile.Read(ref _symbols);
        var table = _symbolTable;
        if (cached.Count != table.Count)
        {
            var names = table.ToArray();
            cached = new SymbolsBody(names.Length, JsonSerializer.SerializeToUtf8Bytes(names));
            Volatile.Write(ref _symbols, cached);
        }

        return cached.Json;
    }

    /// <summary>A small JSON status: serving, who, what source, how many clients and symbols.</summary>
    /// <remarks>With the Redis bus, <c>"bus"</c> is <c>"up"</c> or <c>"down"</c>; <c>"feed"</c> is what clients were told
    /// (<c>"live"</c>, or <c>"stale"</c> with <c>"feedReason"</c>). Down or stale is still 200 and
    /// <c>"serving"</c>: the node serves its clients from its own cache, so a load balancer must not take it out.</remarks>
    public byte[] HealthJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("status", "serving");
            json.WriteString("serverId", _server.ServerId);
            json.WriteString("source", _server.Source.Name);
            if (_server.Source is IBusStatus bus)
            {
                json.WriteString("bus", bus.IsUp ? "up" : "down");
            }

            // docs/protocol.md, "Feed status": what every client was told.
            var feed = _server.Source.Status.Current;
            json.WriteString("feed", feed.Name);
            if (!feed.Live)
            {
                json.WriteString("feedReason", feed.Reason);
                json.WriteNumber("feedSinceNs", feed.SinceNs);
            }

            json.WriteNumber("uptimeSeconds", Math.Round(_server.Uptime.TotalSeconds, 1));
            json.WriteNumber("connections", _server.OpenConnections);
            json.WriteNumber("symbols", _symbolTable.Count);
            json.WriteNumber("quotesProcessed", _server.QuotesProcessed);
            json.WriteNumber("ringLag", _server.RingLag);
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Every connected client's counters, as JSON: what <c>/metrics</c> gives in total, per client
    /// (a label per client would make the metrics' cardinality grow with the connections).
    /// </summary>
    public byte[] ClientsJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            foreach (var session in _subscriptions.Sessions)
            {
                json.WriteStartObject();
                json.WriteString("remote", session.Channel.RemoteAddress?.ToString());
                lock (session.SubscriptionLock)
                {
                    json.WriteNumber("subscriptions", session.Subscriptions.Count);
                    json.WriteBoolean("wildcard", session.Wildcard);
                }

                json.WriteNumber("barSubscriptions", session.BarSubscriptionCount);
                json.WriteNumber("delivered", session.Delivered);
                json.WriteNumber("barsDelivered", session.BarsDelivered);
                json.WriteNumber("conflated", session.Conflated);
                json.WriteNumber("dropped", session.Dropped);
                json.WriteNumber("frames", session.Frames);
                json.WriteNumber("queued", session.QueuedInFifo);
                json.WriteBoolean("writable", session.Channel.IsWritable);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return stream.ToArray();
    }

    /// <summary>The Prometheus text exposition.</summary>
    public async Task<byte[]> MetricsTextAsync()
    {
        var metrics = _metrics;
        metrics.QuotesIn.Set(_server.Source.Published);
        metrics.QuotesProcessed.Set(_server.QuotesProcessed);
        metrics.FanoutFailures.Set(_server.FanoutFailures);
        metrics.RingLag.Set(_server.RingLag);
        metrics.Symbols.Set(_symbolTable.Count);
        metrics.Subscriptions.Set(_subscriptions.SubscriptionCount);
        metrics.BarSubscriptions.Set(_subscriptions.BarSubscriptionCount);
        var (delivered, conflated, dropped) = _subscriptions.Totals();
        metrics.QuotesDelivered.Set(delivered);
        metrics.QuotesConflated.Set(conflated);
        metrics.QuotesDropped.Set(dropped);
        metrics.QueuedUpdates.Set(_subscriptions.Sessions.Sum(s => s.QueuedInFifo));
        metrics.FeedLive.Set(_server.Source.Status.Current.Live ? 1 : 0);
        if (_server.Source is IBusStatus bus)
        {
            metrics.BusUp.Set(bus.IsUp ? 1 : 0);
            metrics.BusGaps.Set(bus.Gaps);
            metrics.BusQuotesFromCache.Set(bus.QuotesFromCache);
            metrics.BusStaleQuotes.Set(bus.StaleQuotes);
            metrics.BusMessagesOverflowed.Set(bus.MessagesOverflowed);
            metrics.BusMalformed.Set(bus.Malformed);
            metrics.BusCatchUps.Set(bus.CatchUps);
            metrics.BusEntriesLost.Set(bus.EntriesLost);
            metrics.BusEpochChanges.Set(bus.EpochChanges);
        }

        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream).ConfigureAwait(false);
        return stream.ToArray();
    }

    private sealed record SymbolsBody(int Count, byte[] Json);
}
