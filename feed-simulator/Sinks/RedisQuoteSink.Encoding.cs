using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

// Encoding, on the writer thread: a batch as one bus entry (a BusEntry header, then the QuoteBatch), and the hash
// entries of its latest quote per symbol as slices of that message.
internal sealed partial class RedisQuoteSink
{
    // Quote bytes: tag and 2-byte length, symbol (2 + 32), four varints (4 x 11), six doubles (6 x 9).
    private const int MaxEntryBytes = 3 + 2 + 32 + (4 * 11) + (6 * 9);

    // BusEntry header: the epoch (tag, length, at most 64 bytes), four ids (4 x 11), the batch's tag and length (1 + 5).
    private const int MaxHeaderBytes = 2 + 64 + (4 * 11) + 6;

    /// <summary>Encodes <paramref name="batch"/> as the next bus entry of the session and the hash entries of its latest
    /// quote per symbol; gives the entry its stream id.</summary>
    /// <remarks>The hash values are slices of the message: each entry of a <c>QuoteBatch</c> is a tag, a length and the
    /// <c>Quote</c>'s bytes, and those bytes are what the hash stores. One array per message; none is reused, because
    /// the client may still hold a command's bytes after its task has failed.</remarks>
    private (ReadOnlyMemory<byte> Message, BusEntryId Id, HashEntry[] Hash) Encode(Batch batch, bool writeHash)
    {
        var output = new CodedOutputStream(_scratch);
        var touched = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            ref readonly var quote = ref batch.Quotes[i];
            output.WriteRawTag(QuoteWireFormat.TagBatchQuotes);
            Fill(_quote, quote);
            output.WriteLength(_quote.CalculateSize());
            var start = (int)output.Position;
            _quote.WriteTo(output);
            var slot = _entryOfSymbol[quote.Instrument];
            if (slot < 0)
            {
                slot = touched++;
                _touched[slot] = quote.Instrument;
                _entryOfSymbol[quote.Instrument] = slot;
            }

            _entries[slot] = (start, (int)output.Position - start);
        }

        var batchLength = (int)output.Position;
        var id = NextId();
        var headerLength = WriteHeader(id, batchLength);
        var message = new byte[headerLength + batchLength];
        _header.AsSpan(0, headerLength).CopyTo(message);
        _scratch.AsSpan(0, batchLength).CopyTo(message.AsSpan(headerLength));
        var hash = writeHash ? new HashEntry[touched] : [];
        for (var i = 0; i < touched; i++)
        {
            var instrument = _touched[i];
            if (writeHash)
            {
                var (start, length) = _entries[i];
                hash[i] = new HashEntry(_symbolValues[instrument], message.AsMemory(headerLength + start, length));
            }

            _entryOfSymbol[instrument] = -1;
        }

        return (message, id, hash);
    }

    /// <summary>An id above every id this session or the stream has used: the clock's millisecond, or the next
    /// sequence in the last one when the clock has not moved on (or went back).</summary>
    private BusEntryId NextId()
    {
        var ms = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _lastId = ms > _lastId.Ms ? new BusEntryId(ms, 0) : _lastId.Next();
        return _lastId;
    }

    /// <summary>The <c>BusEntry</c> fields before the batch, into <see cref="_header"/>; moves the session's chain on.</summary>
    private int WriteHeader(BusEntryId id, int batchLength)
    {
        var output = new CodedOutputStream(_header);
        output.WriteRawTag(QuoteWireFormat.TagEntryEpoch);
        output.WriteString(Epoch);
        output.WriteRawTag(QuoteWireFormat.TagEntryIdMs);
        output.WriteUInt64(id.Ms);
        output.WriteRawTag(QuoteWireFormat.TagEntryIdSeq);
        output.WriteUInt64(id.Seq);
        if (!_previousInEpoch.IsNone)
        {
            output.WriteRawTag(QuoteWireFormat.TagEntryPrevMs);
            output.WriteUInt64(_previousInEpoch.Ms);
            output.WriteRawTag(QuoteWireFormat.TagEntryPrevSeq);
            output.WriteUInt64(_previousInEpoch.Seq);
        }

        output.WriteRawTag(QuoteWireFormat.TagEntryBatch);
        output.WriteLength(batchLength);
        _previousInEpoch = id;
        return (int)output.Position;
    }

    private void Fill(Quote target, in SimulatedQuote quote)
    {
        target.Symbol = _symbols[quote.Instrument];
        target.Seq = quote.Seq;
        target.SourceTimeNs = quote.SourceTimeNs;
        target.PublishTimeNs = 0; // each node stamps the time it takes the quote into its ring
        target.Bid = quote.Bid;
        target.Ask = quote.Ask;
        target.BidSize = quote.BidSize;
        target.AskSize = quote.AskSize;
        target.Last = quote.Last;
        target.LastSize = quote.LastSize;
        target.Volume = quote.Volume;
    }
}
