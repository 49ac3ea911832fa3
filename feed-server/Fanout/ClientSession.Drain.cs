using System.Diagnostics;
using DotNetty.Buffers;
using DotNetty.Common.Concurrency;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

// The event loop's side: drain rounds over the deferred list, the FIFO and the conflation queue, and the
// snapshot. Event loop only; the last seq sent per subscription keeps seq strictly increasing.
internal sealed partial class ClientSession
{
    /// <inheritdoc cref="Drain"/>
    void IRunnable.Run() => Drain();

    /// <summary>Writes everything pending as <c>quotes</c> frames while the channel is writable, then flushes once. Event loop only.</summary>
    /// <remarks>
    /// Never nests. A drain that filled the channel stops and flushes; DotNetty writes to the socket inside
    /// that flush and, when the socket took enough, fires the writability change, which calls this again.
    /// That inner call only asks the outer one to go round again: the outer drain then knows whether the
    /// client caught up before it decides to mark it as lagging (a nested drain that cleared the mark, then
    /// an outer one that set it again, closed caught-up clients with 4001), and the stack does not deepen
    /// by one level per high-water mark of backlog.
    /// </remarks>
    public void Drain()
    {
        if (_draining)
        {
            _drainAgain = true;
            return;
        }

        _draining = true;
        try
        {
            DrainRounds();
        }
        finally
        {
            _draining = false;
        }
    }

    private void DrainRounds()
    {
        bool complete;
        long now;
        do
        {
            _drainAgain = false;
            // A full fence before the queues are read: the drain side of the handshake in RequestDrain.
            Interlocked.Exchange(ref _drainRequested, 0);
            if (_closed || !_context.Channel.Active)
            {
                return;
            }

            now = Stopwatch.GetTimestamp();
            var writer = new FrameWriter(this);
            try
            {
                complete = DrainDeferred(ref writer, now) && DrainFifo(ref writer) && DrainPending(ref writer, now);
                writer.Finish();
                // Bars after quotes, in messages of their own; a closed bar is read from the book, so it waits, never lost.
                complete = DrainBars(now) && complete;
            }
            finally
            {
                writer.ReleaseUnsent();
            }
        }
        while (!complete && _drainAgain);

        AfterDrain(complete, now);
    }

    /// <summary>Writes a snapshot frame for <paramref name="subscriptions"/>: their latest quotes, newer than anything sent. Event loop only.</summary>
    public void WriteSnapshot(IReadOnlyList<SymbolSubscription> subscriptions)
    {
        IByteBuffer? frame = null;
        try
        {
            foreach (var subscription in subscriptions)
            {
                frame ??= NewFrame();
                AppendFromCache(frame, subscription);
            }

            if (frame is not null && frame.WriterIndex > _format.HeaderReserve)
            {
                var sealedFrame = frame;
                frame = null;
                Emit(sealedFrame, QuoteFrameKind.Snapshot, flush: true);
            }
        }
        finally
        {
            // Not handed to the channel (nothing to send, or something threw): the pooled buffer goes back.
            frame?.Release();
        }
    }

    private bool DrainFifo(ref FrameWriter writer)
    {
        while (writer.CanWrite)
        {
            if (!_fifo.TryTake(out var sequence, out var subscription, out var dropped))
            {
                _dropped += dropped;
                return true;
            }

            _dropped += dropped;
            if (!subscription.Active)
            {
                continue;
            }

            var frame = writer.Frame;
            var length = _format.CopyLogged(sequence, ByteBuffers.WritableSpan(frame, _format.MaxEntryBytes), out var seq, out var publishTimeNs);
            if (EpochChangePending)
            {
                // Checked after the copy: an update of the new epoch was offered after the change was announced, so
                // this sees it. Not sent before the new hello; the snapshot after it holds the symbol's latest.
                return true;
            }

            if (length == 0)
            {
                // Overwritten in the shared log before we got to it: this client was too far behind.
                if (_fanout.DropOldest)
                {
                    _dropped++;
                }
                else
                {
                    // conflate never loses a symbol's last word: send its latest instead, from the cache.
                    _conflatedLate++;
                    if (Interlocked.Exchange(ref subscription.Pending, 1) == 0)
                    {
                        _pending.Enqueue(subscription);
                    }
                }
            }
            else if (seq > subscription.LastSentSeq)
            {
                frame.SetWriterIndex(frame.WriterIndex + length);
                subscription.LastSentSeq = seq;
                writer.Added(publishTimeNs);
            }
        }

        return _fifo.Count == 0;
    }

    private bool DrainPending(ref FrameWriter writer, long now)
    {
        while (true)
        {
            if (!writer.CanWrite)
            {
                // Maybe nothing is left; if something is, the writability change drains it.
                return false;
            }

            if (!_pending.TryDequeue(out var subscription))
            {
                return true;
            }

            if (!subscription.Active)
            {
                Interlocked.Exchange(ref subscription.Pending, 0);
                continue;
            }

            if (subscription.ThrottleTicks > 0 && subscription.NextDueTicks > now)
            {
                // Stays Pending: newer updates conflate into it until it is due (one timer per session, not per symbol).
                subscription.Deferred = true;
                _deferred.Add(subscription);
                ArmThrottleTimer(subscription.NextDueTicks, now);
                continue;
            }

            SendLatest(ref writer, subscription, now);
        }
    }

    private void SendLatest(ref FrameWriter writer, SymbolSubscription subscription, long now)
    {
        // Clear Pending before reading the cache (with a full fence, paired with Offer's), so an
        // update landing after the read pends again and is sent by the next drain.
        Interlocked.Exchange(ref subscription.Pending, 0);
        if (!subscription.Active)
        {
            return;
        }

        if (AppendFromCache(writer.Frame, subscription, out var publishTimeNs))
        {
            writer.Added(publishTimeNs);
            if (subscription.ThrottleTicks > 0)
            {
                subscription.NextDueTicks = now + subscription.ThrottleTicks;
            }
        }
    }

    private bool AppendFromCache(IByteBuffer frame, SymbolSubscription subscription) =>
        AppendFromCache(frame, subscription, out _);

    private bool AppendFromCache(IByteBuffer frame, SymbolSubscription subscription, out long publishTimeNs)
    {
        var length = _format.CopyLatest(
            subscription.SymbolId, ByteBuffers.WritableSpan(frame, _format.MaxEntryBytes), out var seq, out publishTimeNs);
        // After the copy, as in DrainFifo: a latest of the new epoch is not sent before the new hello.
        if (length == 0 || seq <= subscription.LastSentSeq || EpochChangePending)
        {
            return false;
        }

        frame.SetWriterIndex(frame.WriterIndex + length);
        subscription.LastSentSeq = seq;
        return true;
    }
}
