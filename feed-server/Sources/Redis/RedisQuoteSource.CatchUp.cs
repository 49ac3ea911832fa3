using System.Text;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using StackExchange.Redis;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>Reading the stream: the start-up position, and catching up with the entries a node missed, page by page
/// (asynchronously, off the bus thread; the bus thread applies each page in order).</summary>
internal sealed partial class RedisQuoteSource
{
    /// <summary>Entries per <c>XRANGE</c> page: about half a second of the publisher's 1 ms batches, well under a
    /// megabyte at the default rate, so a catch-up holds one bounded page at a time.</summary>
    public const int CatchUpPageSize = 512;

    /// <summary>After a failed read of the stream (Redis down), the next attempt waits this long.</summary>
    private const int StreamRetryMs = 100;

    /// <summary>After a reconnect, a second catch-up once the resubscription has certainly gone through.</summary>
    private const int ResubscribeSettleMs = 1_000;

    private void WantCatchUp() => Interlocked.Exchange(ref _catchUpWanted, 1);

    /// <summary>Starts the next read of the stream when one is due: the position at start, or the next page of a catch-up.</summary>
    private void StartStreamReadIfDue()
    {
        var now = Environment.TickCount64;
        var again = Volatile.Read(ref _catchUpAgainAtTicks);
        if (again != 0 && now >= again && Interlocked.CompareExchange(ref _catchUpAgainAtTicks, 0, again) == again)
        {
            WantCatchUp();
        }

        if (_positioned && Interlocked.Exchange(ref _catchUpWanted, 0) == 1 && !_catchingUp)
        {
            BeginCatchUp();
        }

        var redis = Volatile.Read(ref _redis);
        if (_streamReadInFlight || (_positioned && !_catchingUp) || (!_positioned && !_subscribed)
            || redis is null || !redis.IsConnected || now - _lastStreamFailureTicks < StreamRetryMs)
        {
            return;
        }

        _streamReadInFlight = true;
        var database = redis.GetDatabase();
        _ = _positioned ? ReadPageAsync(database, _pageAfter) : ReadPositionAsync(database);
    }

    private void BeginCatchUp()
    {
        _catchingUp = true;
        _pageAfter = _chain.Last;
    }

    /// <summary>The stream's newest entry, then the symbol set and the hash, pipelined in that order.</summary>
    private async Task ReadPositionAsync(IDatabase database)
    {
        try
        {
            var newest = database.StreamRangeAsync(RedisBus.StreamKey, "-", "+", 1, Order.Descending);
            var symbols = database.SetMembersAsync(RedisBus.SymbolsKey);
            var latest = database.HashGetAllAsync(RedisBus.LastKey);
            var cache = new CacheContents(await symbols.ConfigureAwait(false), await latest.ConfigureAwait(false));
            HandOver(new StreamRead(await newest.ConfigureAwait(false), cache));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogWarning("Reading the bus position from Redis failed ({Message}); trying again", ex.Message);
            HandOver(StreamRead.Failed);
            // Serve rather than wait: the position and the cache come with the next attempt.
            _ready.TrySetResult();
        }
    }

    /// <summary>The entries after <paramref name="after"/> (exclusive), one page.</summary>
    private async Task ReadPageAsync(IDatabase database, BusEntryId after)
    {
        try
        {
            var start = after.IsNone ? "-" : "(" + after;
            HandOver(new StreamRead(
                await database.StreamRangeAsync(RedisBus.StreamKey, start, "+", CatchUpPageSize).ConfigureAwait(false), null));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            HandOver(StreamRead.Failed);
        }
    }

    private void HandOver(StreamRead read)
    {
        Volatile.Write(ref _streamRead, read);
        _wake.Set();
    }

    private void ApplyStreamRead(StreamRead read)
    {
        _streamReadInFlight = false;
        if (read.Entries is null)
        {
            _lastStreamFailureTicks = Environment.TickCount64;
            return;
        }

        if (read.Cache is { } cache)
        {
            ApplyPosition(read.Entries, cache);
            return;
        }

        foreach (var entry in read.Entries)
        {
            ApplyEntry(entry[RedisBus.EntryField], live: false);
            if (BusEntryId.TryParse(entry.Id, out var id) && id > _pageAfter)
            {
                _pageAfter = id;
            }
        }

        FlushPending();
        if (read.Entries.Length == CatchUpPageSize)
        {
            return;
        }

        // Caught up. The live entry that showed the break is in the stream unless its XADD failed: then it comes now.
        _catchingUp = false;
        Interlocked.Increment(ref _catchUps);
        if (_breakingEntry is { } breaking)
        {
            _breakingEntry = null;
            ApplyEntry(breaking, live: false);
            FlushPending();
        }
    }

    /// <summary>At start (or once Redis first comes): the newest entry names the epoch and the position, the cache the
    /// quotes; live entries after that position follow.</summary>
    private void ApplyPosition(StreamEntry[] newest, CacheContents cache)
    {
        if (newest.Length == 1 && (byte[]?)newest[0][RedisBus.EntryField] is { } bytes
            && Wire.QuoteWireReader.TryReadBusEntry(bytes, out var entry))
        {
            if (!entry.Epoch.SequenceEqual(_chain.Epoch))
            {
                StartEpoch(entry.Epoch);
            }

            _chain.Applied(entry);
        }

        _positioned = true;
        ApplyCache(cache);
    }

    /// <summary>The quotes that follow belong to <paramref name="epoch"/>: announce it, forget the old seqs, and mark
    /// the ring, in order with the quotes, so the fan-out starts its clients again at that point.</summary>
    private void StartEpoch(ReadOnlySpan<byte> epoch)
    {
        var name = Encoding.UTF8.GetString(epoch);
        // The old epoch's pending quotes go into the ring before the announcement, so none is taken under the new name.
        FlushPending();
        Epoch.Announce(name);
        Array.Clear(_lastSeq);
        var now = UnixClock.NowNs();
        Append(QuoteEvent.EpochChange(now), now);
        Interlocked.Increment(ref _epochChanges);
        _logger.LogInformation("Redis bus: publisher epoch {Epoch}", name);
    }

    /// <summary>What one read of the stream brought: entries (null when it failed) and, for the start position, the cache.</summary>
    private sealed record StreamRead(StreamEntry[]? Entries, CacheContents? Cache)
    {
        public static readonly StreamRead Failed = new(null, null);
    }
}
