namespace PriceFeed.LoadTest.Clients;

/// <summary>The fields of a <c>pricefeed.v1.Quote</c> the load tool checks, read in place from a received message.</summary>
internal readonly ref struct QuoteView
{
    // pricefeed.v1.Quote field numbers (docs/protocol.md, "Messages").
    private const int FieldSymbol = 1;
    private const int FieldSeq = 2;
    private const int FieldSourceTime = 3;
    private const int FieldPublishTime = 4;

    private QuoteView(ReadOnlySpan<byte> symbol, ulong seq, long sourceTimeNs, long publishTimeNs)
    {
        Symbol = symbol;
        Seq = seq;
        SourceTimeNs = sourceTimeNs;
        PublishTimeNs = publishTimeNs;
    }

    /// <summary>The symbol's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Symbol { get; }

    public ulong Seq { get; }

    public long SourceTimeNs { get; }

    public long PublishTimeNs { get; }

    /// <summary>Reads one encoded Quote, skipping the prices and any field it does not know.</summary>
    public static QuoteView Read(ReadOnlySpan<byte> quote)
    {
        var reader = new ProtoReader(quote);
        ReadOnlySpan<byte> symbol = default;
        ulong seq = 0;
        long sourceTimeNs = 0, publishTimeNs = 0;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case FieldSymbol:
                    symbol = reader.ReadLengthDelimited();
                    break;
                case FieldSeq:
                    seq = reader.ReadVarint();
                    break;
                case FieldSourceTime:
                    sourceTimeNs = (long)reader.ReadVarint();
                    break;
                case FieldPublishTime:
                    publishTimeNs = (long)reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return new QuoteView(symbol, seq, sourceTimeNs, publishTimeNs);
    }
}
