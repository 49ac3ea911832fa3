using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PriceFeed.Server.Quotes;
using PriceFeed.Server.Ring;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Sources.Redis;

/// <summary>The bus thread, the ring's single producer: takes each entry from the inbox (or a catch-up page), applies the
/// chain rule (<see cref="BusChain"/>), then the seq rule, and publishes the quotes into the ring.</summary>
internal sealed partial class RedisQuoteSource
{
    private void Run()
    {
        try
        {
            var token = _stopping.Token;
            while (!token.IsCancellationRequested)
            {
                _wake.Reset();
                PollState();
                if (Interlocked.Exchange(ref _reconciled, null) is { } contents)
                {
                    ApplyCache(contents);
                }

                if (Interlocked.Exchange(ref _streamRead, null) is { } read)
                {
                    ApplyStreamRead(read);
                }

                StartStreamReadIfDue();
                StartReconcileIfDue();
                if (!_positioned || _catchingUp)
                {
                    // Live entries wait in the inbox until the stream has brought the node up to them.
                    _wake.Wait(StatePollMs, token);
                }
                else if (_inbox.TryTake(out var message, StatePollMs, token))
                {
                    ApplyEntry(message, live: true);
                    FlushPending();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            _ready.TrySetResult();
            _completion.TrySetResult();
        }
    }

    /// <summary>One bus entry, live or from the stream: the chain rule says whether to apply it, skip it, or catch up first.</summary>
    /// <remarks>The caller flushes the pending quotes.</remarks>
    private void ApplyEntry(byte[]? message, bool live)
    {
        _lastHeardTicks = Environment.TickCount64;
        if (!QuoteWireReader.TryReadBusEntry(message, out var entry))
        {
            if (live && QuoteWireReader.IsHeartbeat(message))
            {
                // The publisher is there with nothing to send: a quiet market, not a stale feed.
                if (!Status.Announced.Live && IsUp)
                {
                    AnnounceStatus(live: true, string.Empty);
                }

                return;
            }

            Interlocked.Increment(ref _malformed);
            return;
        }

        switch (_chain.Next(entry, live))
        {
            case BusStep.Skip:
                Interlocked.Increment(ref _entriesSkipped);
                return;
            case BusStep.CatchUp:
                // Read what was missed from the stream; this entry is kept in case the stream does not hold it.
                _breakingEntry = message;
                BeginCatchUp();
                return;
            case BusStep.StartEpoch:
                StartEpoch(entry.Epoch);
                break;
            case BusStep.ApplyAfterLoss:
                CountLoss(entry);
                break;
            case BusStep.StartEpochAfterLoss:
                CountLoss(entry);
                StartEpoch(entry.Epoch);
                break;
        }

        _chain.Applied(entry);
        if (!Status.Announced.Live)
        {
            // Quotes flow again: clients hear it before the first of them.
            AnnounceStatus(live: true, string.Empty);
        }

        ApplyBatch(entry.Batch);
    }

    /// <summary>The stream no longer holds the entries between the last applied one and this: the shared cache fills in.</summary>
    private void CountLoss(in BusEntryView entry)
    {
        Interlocked.Increment(ref _entriesLost);
        _logger.LogWarning(
            "Redis bus: the stream no longer holds the entries between {Last} and {Previous} (away longer than the bus history?); reloading the shared cache",
            _chain.Last, entry.Previous);
        WantReconcile();
    }

    private void ApplyBatch(ReadOnlySpan<byte> batch)
    {
        var publishTimeNs = UnixClock.NowNs();
        var position = 0;
        while (true)
        {
            var result = QuoteWireReader.NextBatchEntry(batch, ref position, out var bytes);
            if (result == WireReadResult.End)
            {
                break;
            }

            if (result == WireReadResult.Malformed)
            {
                // The quotes read before the damage are good; the rest of the message is not readable.
                Interlocked.Increment(ref _malformed);
                break;
            }

            if (TryDecode(bytes, out var quote) && Admit(quote.SymbolId, quote.Seq, fromCache: false))
            {
                Append(quote, publishTimeNs);
            }
        }
    }

    private bool TryDecode(ReadOnlySpan<byte> bytes, out QuoteEvent quote)
    {
        if (QuoteWireReader.TryReadQuote(bytes, out quote, out var symbol) && _symbolCache.TryGetId(symbol, out var id))
        {
            quote.SymbolId = id;
            return true;
        }

        Interlocked.Increment(ref _malformed);
        return false;
    }

    /// <summary>The seq rule: only newer quotes go into the ring; a jump is a gap.</summary>
    private bool Admit(int symbolId, ulong seq, bool fromCache)
    {
        ref var last = ref _lastSeq[symbolId];
        if (seq <= last)
        {
            // From the cache, an entry the node already has is the normal case, not worth counting.
            if (!fromCache)
            {
                Interlocked.Increment(ref _staleQuotes);
            }

            return false;
        }

        // A symbol's first quote may start anywhere: a node joins mid-session. Quotes from the cache skip by design.
        if (!fromCache && last != 0 && seq != last + 1)
        {
            Interlocked.Increment(ref _gaps);
            WantReconcile();
        }

        last = seq;
        return true;
    }

    private void Append(in QuoteEvent quote, long publishTimeNs)
    {
        ref var slot = ref _pending[_pendingCount++];
        slot = quote;
        slot.PublishTimeNs = publishTimeNs;
        if (_pendingCount == _pending.Length)
        {
            FlushPending();
        }
    }

    /// <summary>Publishes the pending quotes into the ring at once: the ring claims the slots, they are filled in place.</summary>
    private void FlushPending()
    {
        _ring.PublishEvents(new ReadOnlySpan<QuoteEvent>(_pending, 0, _pendingCount), default(CopyQuote));
        Interlocked.Add(ref _published, _pendingCount);
        _pendingCount = 0;
    }

    /// <summary>Fills a slot with a pending quote, publish time already stamped.</summary>
    private readonly struct CopyQuote : IEventTranslator<QuoteEvent, QuoteEvent>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void TranslateTo(ref QuoteEvent slot, in QuoteEvent item) => slot = item;
    }
}
