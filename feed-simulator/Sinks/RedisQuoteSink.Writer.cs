using PriceFeed.Protocol;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

// The writer thread: takes sealed batches, encodes and sends them pipelined (hash, then publish), and counts
// the replies off this thread; a failed or impossible send drops the message and asks for a resync.
internal sealed partial class RedisQuoteSink
{
    /// <summary>At the end of a run with a resync pending, how long to wait for Redis to come back.</summary>
    private const int EndResyncWaitMs = 10_000;

    private void RunWriter()
    {
        while (true)
        {
            if (_queue.TryTake(out var batch, FlushIntervalMs))
            {
                Write(batch);
            }
            else if (_queue.IsCompleted)
            {
                break;
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
        var (message, hash) = Encode(batch, writeHash: batch.Number > _coveredThroughBatch);
        Recycle(batch);
        Send(quoteCount, () =>
        (
            // Queued on one connection in this order: the hash is written before the message is published.
            hash.Length > 0 ? _database.HashSetAsync(RedisBus.LastKey, hash) : Task.CompletedTask,
            _database.PublishAsync(s_channel, message)
        ));
    }

    /// <summary>Issues two commands without waiting; their replies are awaited off this thread.</summary>
    /// <param name="quotes">Simulator quotes in the message, counted as published once Redis answers; 0 for a resync.</param>
    private void Send(int quotes, Func<(Task First, Task Last)> issue)
    {
        Task first, last;
        try
        {
            (first, last) = issue();
        }
        catch (RedisException)
        {
            // Disconnected between the check and the send: the client fails fast rather than queue.
            OnSendFailed(quotes);
            return;
        }

        Interlocked.Increment(ref _inFlight);
        _ = AwaitRepliesAsync(first, last, quotes);
    }

    private async Task AwaitRepliesAsync(Task first, Task last, int quotes)
    {
        try
        {
            await first.ConfigureAwait(false);
            await last.ConfigureAwait(false);
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
