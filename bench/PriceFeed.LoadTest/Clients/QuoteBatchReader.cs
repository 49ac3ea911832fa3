namespace PriceFeed.LoadTest.Clients;

/// <summary>
/// Reads a <c>pricefeed.v1.QuoteBatch</c> in place, quote by quote, and picks up its
/// <c>send_time_ns</c> in the same pass wherever it comes.
/// </summary>
/// <remarks>
/// Our server writes <c>send_time_ns</c> after the quotes, but protobuf fields may come in any
/// order (and a batch may even repeat it: the last one wins, as for any scalar field), so
/// <see cref="SendTimeNs"/> is final only once <see cref="TryReadQuote"/> has returned false.
/// </remarks>
internal ref struct QuoteBatchReader
{
    // pricefeed.v1.QuoteBatch field numbers (proto/pricefeed.v1.proto).
    private const int FieldQuotes = 1;
    private const int FieldSendTime = 2;

    private ProtoReader _reader;

    public QuoteBatchReader(ReadOnlySpan<byte> batch) => _reader = new ProtoReader(batch);

    /// <summary>When the server built this message, Unix ns; 0 when it does not stamp it.</summary>
    public long SendTimeNs { get; private set; }

    /// <summary>Reads the next quote, taking the send time on the way; false at the end of the batch.</summary>
    public bool TryReadQuote(out QuoteView quote)
    {
        while (_reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case FieldQuotes:
                    quote = QuoteView.Read(_reader.ReadLengthDelimited());
                    return true;
                case FieldSendTime:
                    SendTimeNs = (long)_reader.ReadVarint();
                    break;
                default:
                    _reader.Skip(wireType);
                    break;
            }
        }

        quote = default;
        return false;
    }
}
