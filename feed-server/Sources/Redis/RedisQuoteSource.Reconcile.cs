using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using StackExchange.Redis;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>Reconciles: reading the shared last-value cache (asynchronously, off the bus thread) and applying it on the bus thread.</summary>
internal sealed partial class RedisQuoteSource
{
    private void WantReconcile() => Interlocked.CompareExchange(ref _reconcilesWanted, 1, 0);

    private void StartReconcileIfDue()
    {
        var redis = Volatile.Read(ref _redis);
        var now = Environment.TickCount64;
        if (redis is null || _reconcileInFlight || Volatile.Read(ref _reconcilesWanted) == 0 || !IsUp
            || now - _lastReconcileTicks < ReconcileIntervalMs)
        {
            return;
        }

        Interlocked.Decrement(ref _reconcilesWanted);
        _lastReconcileTicks = now;
        _reconcileInFlight = true;
        _ = ReconcileAsync(redis.GetDatabase());
    }

    /// <summary>Reads the symbol set and the whole hash, and hands them to the bus thread.</summary>
    private async Task ReconcileAsync(IDatabase database)
    {
        try
        {
            var symbols = database.SetMembersAsync(RedisBus.SymbolsKey);
            var latest = database.HashGetAllAsync(RedisBus.LastKey);
            Volatile.Write(ref _reconciled, new CacheContents(await symbols.ConfigureAwait(false), await latest.ConfigureAwait(false)));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogWarning("Reading the shared cache from Redis failed ({Message}); trying again", ex.Message);
            WantReconcile();
            _reconcileInFlight = false;
            // Serve rather than wait: what the cache held comes with the next reconcile.
            _ready.TrySetResult();
        }
    }

    private void ApplyCache(CacheContents contents)
    {
        if (IsUp)
        {
            // The cache's quotes flow only with the bus up: clients hear it is live before them.
            AnnounceStatus(live: true, string.Empty);
        }

        // Symbols that have no quote yet still get an id, so clients can subscribe to them before their first quote.
        // Byte order, so that every node lists them alike in /api/symbols.
        foreach (var symbol in contents.Symbols.Select(static s => (byte[]?)s ?? []).Order(s_byteOrder))
        {
            // Invalid names are refused inside, as they are in messages.
            _symbolCache.TryGetId(symbol, out _);
        }

        var publishTimeNs = UnixClock.NowNs();
        foreach (var entry in contents.Latest)
        {
            ReadOnlyMemory<byte> bytes = entry.Value;
            if (!TryDecode(bytes.Span, out var quote))
            {
                continue;
            }

            if (Admit(quote.SymbolId, quote.Seq, fromCache: true))
            {
                Interlocked.Increment(ref _quotesFromCache);
                Append(quote, publishTimeNs);
            }
        }

        FlushPending();
        _reconcileInFlight = false;
        _ready.TrySetResult();
    }

    /// <summary>What one reconcile read: the symbol set and the hash of latest quotes.</summary>
    private sealed record CacheContents(RedisValue[] Symbols, HashEntry[] Latest);
}
