using PriceFeed.Protocol;
using PriceFeed.Simulation;

namespace PriceFeed.Simulator.Sinks;

// Resync, on the writer thread: the whole latest-per-symbol table again, into the hash and on the channel, so
// the shared cache ends exact and nodes heal losses that no later quote would reveal.
internal sealed partial class RedisQuoteSink
{
    /// <summary>Sends the whole latest-per-symbol table: the symbol set, then every symbol's latest quote into the
    /// hash, the stream and on the channel, as ordinary bus entries.</summary>
    /// <remarks>Publishing the table too, not only writing the hash, lets nodes heal a loss that no later quote would
    /// reveal (the last quote of a symbol lost, then the source quiet): they drop what they already have as stale.</remarks>
    private void Resync()
    {
        _resyncNeeded = false;
        long coveredThrough;
        lock (_lock)
        {
            if (_resyncCopy.Length != _latest.Length)
            {
                _resyncCopy = new SimulatedQuote[_latest.Length];
            }

            _latest.CopyTo(_resyncCopy, 0);
            coveredThrough = _sealedBatches;
        }

        Interlocked.Increment(ref _resyncs);
        // A send may have failed because the stream is ahead of this session's ids.
        StayAboveStreamTop();
        Send(quotes: 0, () => (_database.SetAddAsync(RedisBus.SymbolsKey, _symbolValues), Task.CompletedTask, Task.CompletedTask));
        var chunk = new Batch();
        foreach (ref readonly var quote in _resyncCopy.AsSpan())
        {
            if (quote.Seq != 0)
            {
                chunk.Quotes[chunk.Count++] = quote;
            }

            if (chunk.Count == MaxQuotesPerMessage)
            {
                SendResyncChunk(chunk);
            }
        }

        SendResyncChunk(chunk);
        _coveredThroughBatch = coveredThrough;
    }

    private void SendResyncChunk(Batch chunk)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        var (message, id, hash) = Encode(chunk, writeHash: true);
        chunk.Count = 0;
        SendEntry(quotes: 0, message, id, hash);
    }
}
