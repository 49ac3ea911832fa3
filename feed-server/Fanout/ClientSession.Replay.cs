namespace PriceFeed.Server.Fanout;

// Resume: a recovered symbol's missed updates, written whole before its live ones. Event loop only.
internal sealed partial class ClientSession
{
    /// <summary>The history a resume reads from; null when resume is off.</summary>
    public SymbolHistory? History => _fanout.History;

    /// <summary>How many updates one subscribe may replay in all: the client's queue bound (<c>--queue-capacity</c>),
    /// as for any other update.</summary>
    public int ReplayBudget => _fanout.QueueCapacity;

    /// <summary>Writes each replay's updates as <c>quotes</c> frames and makes them the symbol's order. Event loop only.</summary>
    /// <remarks>
    /// Runs in the subscribe use case, after the registry change, before any drain on this loop can send a live
    /// update of these subscriptions. The last seq sent is first set to the client's resume point (also lower than
    /// what this connection sent, when a client re-subscribes to fill a gap), then to each replayed seq, so a live
    /// update already in the FIFO or pending in the conflation queue goes out only when newer than the replay: no
    /// gap (the history holds every update the fan-out did not offer, <see cref="SymbolHistory.TryCollect"/>) and no
    /// duplicate. Sent whole, writable or not, like a snapshot; a throttle applies to the live updates after it.
    /// </remarks>
    public void WriteReplays(IReadOnlyList<Replay> replays)
    {
        if (replays.Count == 0 || _closed)
        {
            return;
        }

        var writer = new FrameWriter(this);
        try
        {
            foreach (var replay in replays)
            {
                var subscription = replay.Subscription;
                subscription.LastSentSeq = replay.AfterSeq;
                foreach (var update in replay.Updates)
                {
                    var frame = writer.Frame;
                    var length = _format.CopyReplayed(update, Wire.ByteBuffers.WritableSpan(frame, _format.MaxEntryBytes));
                    frame.SetWriterIndex(frame.WriterIndex + length);
                    subscription.LastSentSeq = update.Seq;
                    // Publish time 0: a replayed update says nothing of the live publish-to-write latency.
                    writer.Added(0);
                }
            }

            writer.Finish();
        }
        finally
        {
            writer.ReleaseUnsent();
        }
    }
}
