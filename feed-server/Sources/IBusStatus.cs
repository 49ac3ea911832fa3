namespace PriceFeed.Server.Sources;

/// <summary>What a bus-fed source tells /healthz and /metrics. Readable from any thread.</summary>
internal interface IBusStatus
{
    /// <summary>Connected to Redis and subscribed: <c>"bus":"up"</c> in /healthz, else <c>"down"</c>.</summary>
    bool IsUp { get; }

    /// <summary>Seq jumps seen on arrival (seq &gt; last + 1): batches the publisher dropped.</summary>
    long Gaps { get; }

    /// <summary>Quotes taken from the shared last-value cache because they were newer than the node's.</summary>
    long QuotesFromCache { get; }

    /// <summary>Quotes dropped on arrival because the node already had that seq or a newer one.</summary>
    long StaleQuotes { get; }

    /// <summary>Messages dropped because the node's inbox was full (healed from the cache).</summary>
    long MessagesOverflowed { get; }

    /// <summary>Messages or quotes that could not be decoded, or named a symbol the node refuses.</summary>
    long Malformed { get; }

    /// <summary>Bus entries received again after they were applied (live after a catch-up read them): skipped.</summary>
    long EntriesSkipped { get; }

    /// <summary>Times the stream no longer held the entries the node missed (trimmed): healed from the shared cache.</summary>
    long EntriesLost { get; }

    /// <summary>Catch-ups completed: missed entries read from the stream after a break or a reconnect.</summary>
    long CatchUps { get; }

    /// <summary>Publisher epochs entered (the first at start, then one per publisher restart).</summary>
    long EpochChanges { get; }
}
