namespace PriceFeed.Server.Sources;

/// <summary>What a bus-fed source tells /healthz and /metrics. Readable from any thread.</summary>
internal interface IBusStatus
{
    /// <summary>Connected to Redis and subscribed: <c>"bus":"up"</c> in /healthz, else <c>"down"</c>.</summary>
    bool IsUp { get; }

    /// <summary>Seq jumps seen on arrival (seq &gt; last + 1): messages lost on the way.</summary>
    long Gaps { get; }

    /// <summary>Quotes taken from the shared last-value cache because they were newer than the node's.</summary>
    long QuotesFromCache { get; }

    /// <summary>Quotes dropped on arrival because the node already had that seq or a newer one.</summary>
    long StaleQuotes { get; }

    /// <summary>Messages dropped because the node's inbox was full (healed from the cache).</summary>
    long MessagesOverflowed { get; }

    /// <summary>Messages or quotes that could not be decoded, or named a symbol the node refuses.</summary>
    long Malformed { get; }
}
