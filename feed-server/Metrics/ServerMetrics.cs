using PriceFeed.Server.Quotes;
using Prometheus;

namespace PriceFeed.Server.Metrics;

/// <summary>Every metric the server exports at <c>/metrics</c>, in one registry per server instance.</summary>
/// <remarks>
/// A registry per instance (not prometheus-net's static default) lets several servers run in one
/// process, as the tests do. Counters here are bumped per connection, request or frame, never per
/// quote; per-quote counts live in plain fields of their owners and are read at scrape time
/// through <see cref="CollectorRegistry.AddBeforeCollectCallback(Action)"/>.
/// </remarks>
internal sealed class ServerMetrics
{
    public ServerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        ConnectionsOpen = factory.CreateGauge("pricefeed_connections_open", "TCP connections open now.");
        ConnectionsAccepted = factory.CreateCounter("pricefeed_connections_accepted_total", "TCP connections accepted.");
        ConnectionsRefused = factory.CreateCounter(
            "pricefeed_connections_refused_total", "Connections refused because the server was full (503 or close 1013).");
        WebSocketSessionsOpen = factory.CreateGauge("pricefeed_websocket_sessions_open", "WebSocket sessions open now.");
        HttpRequests = factory.CreateCounter(
            "pricefeed_http_requests_total", "HTTP requests answered, by status.", new CounterConfiguration { LabelNames = ["status"] });
        FramesIn = factory.CreateCounter("pricefeed_frames_in_total", "WebSocket frames received from clients.");
        FramesOut = factory.CreateCounter("pricefeed_frames_out_total", "WebSocket frames sent to clients.");
        BytesIn = factory.CreateCounter("pricefeed_bytes_in_total", "Bytes received on all connections.");
        BytesOut = factory.CreateCounter("pricefeed_bytes_out_total", "Bytes written to all connections.");
        Closes = factory.CreateCounter(
            "pricefeed_websocket_closes_total",
            "WebSocket closes the server initiated or answered, by close code.",
            new CounterConfiguration { LabelNames = ["code"] });
        ProtocolErrors = factory.CreateCounter(
            "pricefeed_protocol_errors_total",
            "Malformed input from clients, by the close code or HTTP status it got.",
            new CounterConfiguration { LabelNames = ["code"] });
        QuotesIn = factory.CreateGauge("pricefeed_quotes_in_total", "Quotes the source published into the ring.");
        QuotesProcessed = factory.CreateGauge("pricefeed_quotes_processed_total", "Quotes the fan-out thread took from the ring.");
        FanoutFailures = factory.CreateGauge(
            "pricefeed_fanout_failures_total", "Quotes the fan-out thread failed on and skipped (each logged as an error, at most one line a second).");
        RingLag = factory.CreateGauge("pricefeed_ring_lag", "Quotes published into the ring and not yet taken by the fan-out thread.");
        Symbols = factory.CreateGauge("pricefeed_symbols", "Symbols known to the server.");
        Subscriptions = factory.CreateGauge("pricefeed_subscriptions", "Client subscriptions to symbols, all clients together.");
        BarSubscriptions = factory.CreateGauge(
            "pricefeed_bar_subscriptions", "Client subscriptions to the bars of a symbol in one interval, all clients together.");
        QuotesDelivered = factory.CreateGauge("pricefeed_quotes_delivered_total", "Quote updates written to clients, all clients together.");
        QuotesConflated = factory.CreateGauge(
            "pricefeed_quotes_conflated_total", "Quote updates replaced by a newer one of the same symbol before a client could take them.");
        QuotesDropped = factory.CreateGauge(
            "pricefeed_quotes_dropped_total", "Quote updates dropped from a full send queue (policy drop).");
        QueuedUpdates = factory.CreateGauge("pricefeed_queued_updates", "Updates waiting in the drop policy's send queues now.");
        SlowConsumerCloses = factory.CreateCounter("pricefeed_slow_consumer_closes_total", "Clients closed with 4001 for staying over their bound past the grace.");
        SlowConsumerWarnings = factory.CreateCounter(
            "pricefeed_slow_consumer_warnings_total", "slow_consumer warnings sent, by kind: warned (4001 ahead unless it catches up) or cleared.",
            new CounterConfiguration { LabelNames = ["kind"] });
        FeedLive = factory.CreateGauge(
            "pricefeed_feed_live", "1 while quotes flow from the source, 0 while clients are told the feed is stale (docs/protocol.md, \"Feed status\").");
        BusUp = factory.CreateGauge("pricefeed_bus_up", "1 while connected to the Redis bus and subscribed, else 0 (--source redis).");
        BusGaps = factory.CreateGauge("pricefeed_bus_gaps_total", "Seq jumps seen on the Redis bus: batches the publisher dropped, healed from the shared cache.");
        BusQuotesFromCache = factory.CreateGauge(
            "pricefeed_bus_cache_quotes_total", "Quotes taken from the shared last-value cache in Redis because they were newer than this node's.");
        BusStaleQuotes = factory.CreateGauge(
            "pricefeed_bus_stale_quotes_total", "Quotes from the bus dropped because this node already had that seq or a newer one.");
        BusMessagesOverflowed = factory.CreateGauge(
            "pricefeed_bus_overflowed_messages_total", "Bus messages dropped because this node's inbox was full.");
        BusMalformed = factory.CreateGauge("pricefeed_bus_malformed_total", "Bus messages or quotes this node could not decode or refused.");
        BusCatchUps = factory.CreateGauge("pricefeed_bus_catch_ups_total", "Times this node read entries it had missed from the bus's stream.");
        BusEntriesLost = factory.CreateGauge(
            "pricefeed_bus_entries_lost_total", "Times the bus's stream no longer held entries this node missed (away longer than --bus-history): healed from the shared cache.");
        BusEpochChanges = factory.CreateGauge("pricefeed_bus_epoch_changes_total", "Publisher epochs this node entered (one at start, one per publisher restart).");
        LimitsExceeded = factory.CreateCounter(
            "pricefeed_limits_exceeded_total",
            "Times a client hit an abuse limit, by limit: connections_per_ip, control_messages, symbols_per_client, handshake_timeout, queued_bytes.",
            new CounterConfiguration { LabelNames = ["limit"] });
        AccessDenied = factory.CreateCounter(
            "pricefeed_access_denied_total",
            "Upgrades refused or sessions ended by access control, by reason: missing_token, invalid_token, expired_token, forbidden_origin, token_expired_in_session, other_subject (a refreshed token for another user).",
            new CounterConfiguration { LabelNames = ["reason"] });
        QueuedBytes = factory.CreateGauge(
            "pricefeed_queued_bytes", "Bytes written to clients and not yet taken by their sockets, all clients together (sampled).");
        PublishToWrite = factory.CreateHistogram(
            "pricefeed_publish_to_write_seconds",
            "Time from a quote entering the ring to the frame carrying it being written, per frame (oldest quote in it).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.000_01, 2, 18) });
    }

    public CollectorRegistry Registry { get; }

    public Gauge ConnectionsOpen { get; }

    public Counter ConnectionsAccepted { get; }

    public Counter ConnectionsRefused { get; }

    public Gauge WebSocketSessionsOpen { get; }

    public Counter HttpRequests { get; }

    public Counter FramesIn { get; }

    public Counter FramesOut { get; }

    public Counter BytesIn { get; }

    public Counter BytesOut { get; }

    public Counter Closes { get; }

    public Counter ProtocolErrors { get; }

    public Gauge QuotesIn { get; }

    public Gauge QuotesProcessed { get; }

    public Gauge FanoutFailures { get; }

    public Gauge RingLag { get; }

    public Gauge Symbols { get; }

    public Gauge Subscriptions { get; }

    public Gauge BarSubscriptions { get; }

    public Gauge QuotesDelivered { get; }

    public Gauge QuotesConflated { get; }

    public Gauge QuotesDropped { get; }

    public Gauge QueuedUpdates { get; }

    public Counter SlowConsumerCloses { get; }

    public Counter SlowConsumerWarnings { get; }

    public Gauge FeedLive { get; }

    public Gauge BusUp { get; }

    public Gauge BusGaps { get; }

    public Gauge BusQuotesFromCache { get; }

    public Gauge BusStaleQuotes { get; }

    public Gauge BusMessagesOverflowed { get; }

    public Gauge BusMalformed { get; }

    public Gauge BusCatchUps { get; }

    public Gauge BusEntriesLost { get; }

    public Gauge BusEpochChanges { get; }

    public Counter LimitsExceeded { get; }

    public Counter AccessDenied { get; }

    public Gauge QueuedBytes { get; }

    public Histogram PublishToWrite { get; }

    /// <summary>Records the publish-to-write time of one frame whose oldest quote entered the ring at <paramref name="publishTimeNs"/>.</summary>
    public void ObservePublishToWrite(long publishTimeNs)
    {
        if (publishTimeNs > 0)
        {
            PublishToWrite.Observe(Math.Max(0, UnixClock.NowNs() - publishTimeNs) / 1e9);
        }
    }

    /// <summary>Counts malformed input by the close code or HTTP status it was answered with.</summary>
    public void CountProtocolError(int code) =>
        ProtocolErrors.WithLabels(code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Writes the Prometheus text exposition of every metric.</summary>
    public Task WriteAsync(Stream stream, CancellationToken cancellationToken = default) =>
        Registry.CollectAndExportAsTextAsync(stream, cancellationToken);
}
