using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;
using StackExchange.Redis;

namespace PriceFeed.Simulator.Sinks;

// Encoding, on the writer thread: a batch as one QuoteBatch message, and the hash entries of its latest quote
// per symbol as slices of that message.
internal sealed partial class RedisQuoteSink
{
    // Quote bytes: tag and 2-byte length, symbol (2 + 32), four varints (4 x 11), six doubles (6 x 9).
    private const int MaxEntryBytes = 3 + 2 + 32 + (4 * 11) + (6 * 9);

    /// <summary>Encodes <paramref name="batch"/> as one <c>QuoteBatch</c> and the hash entries of its latest quote per symbol.</summary>
    /// <remarks>The hash values are slices of the message: each entry of a <c>QuoteBatch</c> is a tag, a length and the
    /// <c>Quote</c>'s bytes, and those bytes are what the hash stores. One array per message; none is reused, because
    /// the client may still hold a command's bytes after its task has failed.</remarks>
    private (ReadOnlyMemory<byte> Message, HashEntry[] Hash) Encode(Batch batch, bool writeHash)
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

        var message = _scratch.AsSpan(0, (int)output.Position).ToArray();
        var hash = writeHash ? new HashEntry[touched] : [];
        for (var i = 0; i < touched; i++)
        {
            var instrument = _touched[i];
            if (writeHash)
            {
                var (start, length) = _entries[i];
                hash[i] = new HashEntry(_symbolValues[instrument], message.AsMemory(start, length));
            }

            _entryOfSymbol[instrument] = -1;
        }

        return (message, hash);
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
