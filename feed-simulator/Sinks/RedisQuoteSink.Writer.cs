using Google.Protobuf;
using PriceFeed.Protocol;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

// The writer thread: takes sealed batches, encodes and sends them pipelined (hash, stream, publish), and counts
// the replies off this thread; a failed or impossible send drops the message and asks for a resync.
internal sealed partial class RedisQuoteSink
{
    /// <summary>At the end of a run with a resync pending, how long to wait for Redis to come back.</summary>
    private const int EndResyncWaitMs = 10_000;

    private void RunWriter()
    {
        var lastSent = Environment.TickCount64;
        while (true)
        {
            if (_queue.TryTake(out var batch, FlushIntervalMs))
            {
                Write(batch);
                lastSent = Environment.TickCount64;
            }
            else if (_queue.IsCompleted)
            {
                break;
            }
            else if (Environment.TickCount64 - lastSent >= RedisBus.HeartbeatIntervalMs)
            {
                SendHeartbeat();
                lastSent = Environment.TickCount64;
            }

            SealIfDue();
        }

        // Whatever was dropped near the end must still reach the hash and the nodes: wait a little for Redis.
        var deadline = Environment.TickCount64 + EndResyncWaitMs;
        while (_resyncNeeded && !CanSend() && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(50);
        }

        if (_resyncNeeded && CanSend())
        {
            Resync();
        }
    }

    /// <summary>Nothing to publish for a heartbeat interval: tells the nodes the publisher is there (a quiet market, not a
    /// stale feed; docs/scale-out.md, "Heartbeat"). Published only, never streamed or hashed; dropped while Redis is away.</summary>
    private void SendHeartbeat()
    {
        if (!CanSend())
        {
            return;
        }

        _heartbeat ??= new Protocol.Bus.V1.BusEntry { Epoch = Epoch }.ToByteArray();
        try
        {
            _ = _database.PublishAsync(s_channel, _heartbeat, CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // Disconnected between the check and the send: the next heartbeat or batch tries again.
        }
    }

    private void Write(Batch batch)
    {
        if (_resyncNeeded && CanSend())
        {
            Resync();
        }

        if (!CanSend())
        {
            CountDropped(batch.Count);
            _resyncNeeded = true;
            Recycle(batch);
            return;
        }

        var quoteCount = batch.Count;
        // Batches the last resync already covered must not write older quotes over the ones it wrote.
        var (message, id, hash) = Encode(batch, writeHash: batch.Number > _coveredThroughBatch);
        Recycle(batch);
        SendEntry(quoteCount, message, id, hash);
    }

    /// <summary>One bus entry, pipelined on the one connection in this order: the hash, the stream, the channel.
    /// Whoever receives the message finds the hash at least as new and the entry in the stream.</summary>
    private void SendEntry(int quotes, ReadOnlyMemory<byte> message, BusEntryId id, HashEntry[] hash) => Send(quotes, () =>
    (
        hash.Length > 0 ? _database.HashSetAsync(RedisBus.LastKey, hash) : Task.CompletedTask,
        // MINID ~: Redis drops whole nodes of entries older than the history, cheaply, so a little more stays.
        _database.ExecuteAsync(
            "XADD",
            (RedisKey)RedisBus.StreamKey, "MINID", "~", (RedisValue)(id.Ms > (ulong)_busHistoryMs ? id.Ms - (ulong)_busHistoryMs : 0UL),
            id.ToString(), RedisBus.EntryField, (RedisValue)message),
        _database.PublishAsync(s_channel, message)
    ));

    /// <summary>Issues up to three commands without waiting; their replies are awaited off this thread.</summary>
    /// <param name="quotes">Simulator quotes in the message, counted as published once Redis answers; 0 for a resync.</param>
    private void Send(int quotes, Func<(Task Hash, Task Stream, Task Publish)> issue)
    {
        (Task Hash, Task Stream, Task Publish) commands;
        try
        {
            commands = issue();
        }
        catch (RedisException)
        {
            // Disconnected between the check and the send: the client fails fast rather than queue.
            OnSendFailed(quotes);
            return;
        }

        Interlocked.Increment(ref _inFlight);
        _ = AwaitRepliesAsync(commands, quotes);
    }

    private async Task AwaitRepliesAsync((Task Hash, Task Stream, Task Publish) commands, int quotes)
    {
        try
        {
            await commands.Hash.ConfigureAwait(false);
            await commands.Stream.ConfigureAwait(false);
            await commands.Publish.ConfigureAwait(false);
            if (quotes > 0)
            {
                Interlocked.Increment(ref _messagesPublished);
                Interlocked.Add(ref _quotesPublished, quotes);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            OnSendFailed(quotes);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void OnSendFailed(int quotes)
    {
        // The message may or may not have gone out, and the hash may have missed it: rewrite the hash when Redis is back.
        if (quotes > 0)
        {
            CountDropped(quotes);
        }

        _resyncNeeded = true;
    }
}
