using Microsoft.Extensions.Logging;
using PriceFeed.Protocol;
using PriceFeed.Server.Quotes;
using StackExchange.Redis;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>The connection: connect, subscribe and retry; messages into the inbox; the up/down state the bus thread polls.</summary>
/// <remarks>Connect and subscribe run as a task; <see cref="OnMessage"/> on the client's message loop;
/// <see cref="PollState"/> on the bus thread.</remarks>
internal sealed partial class RedisQuoteSource
{
    /// <summary>Connects (waiting at most the connect timeout), then subscribes, retrying until Redis is there.</summary>
    private async Task ConnectAsync(CancellationToken token)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
        redis.ConnectionRestored += OnConnectionRestored;
        Volatile.Write(ref _redis, redis);
        var warned = false;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // Subscribe before the first reconcile: a message published meanwhile waits in the inbox, it is not lost.
                var messages = await redis.GetSubscriber().SubscribeAsync(s_channel).ConfigureAwait(false);
                messages.OnMessage(OnMessage);
                // The bus thread now reads the stream's position and the cache; live entries wait in the inbox.
                _subscribed = true;
                return;
            }
            catch (RedisException ex)
            {
                if (!warned)
                {
                    warned = true;
                    _logger.LogWarning(
                        "Redis bus at {Endpoint} not reachable ({Message}); serving without the shared cache until it is",
                        _endpoint, ex.Message);
                    // Serve rather than wait: the cache is loaded when Redis comes.
                    _ready.TrySetResult();
                }
            }

            try
            {
                await Task.Delay(SubscribeRetryMs, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs on the client's message loop, one message at a time; must not block it.</summary>
    private void OnMessage(ChannelMessage message)
    {
        byte[]? bytes = message.Message;
        if (bytes is null)
        {
            return;
        }

        if (!_inbox.TryAdd(bytes))
        {
            // The bus thread is behind (the ring is full): drop; the next entry it takes shows the break, and it reads
            // the dropped ones from the stream.
            Interlocked.Increment(ref _messagesOverflowed);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Whatever was published while the connection was down is in the stream: read it now (the publisher may be
        // quiet, so no live entry would show the break), and once more after the resubscription has certainly gone through.
        WantCatchUp();
        Volatile.Write(ref _catchUpAgainAtTicks, Environment.TickCount64 + ResubscribeSettleMs);
    }

    private void PollState()
    {
        var now = Environment.TickCount64;
        if (now - _lastStatePollTicks < StatePollMs)
        {
            return;
        }

        _lastStatePollTicks = now;
        var redis = Volatile.Read(ref _redis);
        var up = _subscribed && redis is not null && redis.IsConnected && redis.GetSubscriber().IsConnected(s_channel);
        // docs/protocol.md, "Feed status": stale while the bus is down, once the node serves (before, nobody listens);
        // live again with the first entry applied after it is back (ApplyEntry).
        if (up && !IsUp)
        {
            // Back: the publisher gets a silence allowance from now, not from before the loss.
            _lastHeardTicks = now;
        }

        if (!up && _ready.Task.IsCompleted)
        {
            AnnounceStatus(live: false, StaleBusDown);
        }
        else if (up && _positioned)
        {
            // Back and placed in the stream (what was missed follows as catch-up entries, after this), unless the
            // publisher has been silent past its heartbeat: then the market is not quiet, the feed is stale.
            var silent = now - Volatile.Read(ref _lastHeardTicks) > RedisBus.SilentAfterMs;
            AnnounceStatus(live: !silent, silent ? StalePublisherSilent : string.Empty);
        }

        if (Interlocked.Exchange(ref _up, up ? 1 : 0) == (up ? 1 : 0))
        {
            return;
        }

        if (up)
        {
            _logger.LogInformation("Redis bus up at {Endpoint}: subscribed to {Channel}", _endpoint, RedisBus.QuotesChannel);
        }
        else
        {
            _logger.LogWarning(
                "Redis bus down at {Endpoint}: serving clients from this node's cache; catching up from the stream when it is back",
                _endpoint);
        }
    }

    /// <summary>Names the source's reachability and marks the ring when it changed, in order with the quotes. Bus thread.</summary>
    private void AnnounceStatus(bool live, string reason)
    {
        if (Status.Announce(live, reason))
        {
            var now = UnixClock.NowNs();
            Append(QuoteEvent.StatusChange(now), now);
            FlushPending();
            _logger.LogInformation("Redis bus: feed {State} {Reason}", live ? "live" : "stale", reason);
        }
    }
}
