using PriceFeed.Protocol;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

// The connection: connecting with a bounded wait, starting a session (clearing the bus keys), failing fast while
// disconnected, and asking for a resync after anything that may have lost messages or the hash.
internal sealed partial class RedisQuoteSink
{
    /// <summary>Bounds the wait for Redis at start-up; the client keeps reconnecting in the background after it.</summary>
    private const int ConnectTimeoutMs = 5_000;

    /// <summary>Connects to <paramref name="endpoint"/> (HOST:PORT) and starts a session: the bus keys are cleared
    /// and the symbol set written. Waits at most the connect timeout; if Redis is not there yet, the session
    /// starts anyway and the first resync after it comes writes the symbols and the cache.</summary>
    /// <remarks>The stream is kept: nodes that were away read the old session's last entries from it, and this
    /// session's ids start above the stream's last one (Redis refuses an id at or below it).</remarks>
    public static async Task<RedisQuoteSink> StartAsync(string endpoint, IReadOnlyList<string> symbols, TimeSpan busHistory, TextWriter log)
    {
        var configuration = ConfigurationOptions.Parse(endpoint);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = ConnectTimeoutMs;
        // Commands issued while disconnected fail at once instead of waiting in the client's unbounded backlog.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // Retry every second: a bus restarted on its host is back within seconds, and every second down is a resync's worth of drops.
        configuration.ReconnectRetryPolicy = new LinearRetry(1_000);
        configuration.ClientName = "pricefeed-publisher";
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var sink = new RedisQuoteSink(redis, symbols, busHistory, log);
        log.WriteLine($"redis: epoch {sink.Epoch}: publishing on {RedisBus.QuotesChannel} and {RedisBus.StreamKey} ({busHistory.TotalSeconds:0.#} s kept), latest quotes in {RedisBus.LastKey}, at {endpoint}");
        if (redis.IsConnected)
        {
            try
            {
                // A new session: seq starts again at 1, so the previous session's latest quotes must not linger.
                await sink._database.KeyDeleteAsync([RedisBus.LastKey, RedisBus.SymbolsKey]).ConfigureAwait(false);
                await sink._database.SetAddAsync(RedisBus.SymbolsKey, sink._symbolValues).ConfigureAwait(false);
                sink.StayAboveStreamTop();
                // Nothing to resync yet: a resync now would only send the first quotes ahead of their own batch.
                sink._resyncNeeded = false;
            }
            catch (RedisException ex)
            {
                log.WriteLine($"redis: could not start the session cleanly ({ex.Message}); the first resync writes the keys");
            }
        }
        else
        {
            Interlocked.Exchange(ref sink._connectedState, 0);
            log.WriteLine($"redis: {endpoint} not reachable yet; publishing starts when it is");
        }

        sink._writer.Start();
        return sink;
    }

    /// <summary>Moves this session's ids above the stream's last generated id (trimmed entries included): Redis refuses
    /// an id at or below it, and something else may have written there (a session before this one, another writer).</summary>
    /// <remarks>At start and at every resync, on the writer thread: one round trip, bounded by the client's timeout.</remarks>
    private void StayAboveStreamTop()
    {
        try
        {
            if (_database.KeyExists(RedisBus.StreamKey)
                && BusEntryId.TryParse(_database.StreamInfo(RedisBus.StreamKey).LastGeneratedId, out var top) && top > _lastId)
            {
                _lastId = top;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The resync's own sends fail the same way and ask for another resync, which tries again.
        }
    }

    private bool CanSend() => _redis.IsConnected && Volatile.Read(ref _inFlight) < MaxInFlight;

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        _resyncNeeded = true;
        if (Interlocked.Exchange(ref _connectedState, 0) == 1)
        {
            _log.WriteLine($"redis: connection to {e.EndPoint} lost ({e.FailureType}); dropping messages, keeping the latest quote of each symbol");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // A Redis that restarted has an empty hash: write the whole cache again.
        _resyncNeeded = true;
        if (_redis.IsConnected && Interlocked.Exchange(ref _connectedState, 1) == 0)
        {
            _log.WriteLine($"redis: connected to {e.EndPoint}; rewriting the last-value cache");
        }
    }
}
