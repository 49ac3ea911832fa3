namespace PriceFeed.Server.Wire;

/// <summary>Where the fields of the quote messages sit on the wire, in one place for the hand-written protobuf
/// encoder (<see cref="QuoteEncoder"/>) and reader (<see cref="QuoteWireReader"/>).</summary>
/// <remarks>
/// Field numbers are those of <c>proto/pricefeed.v1.proto</c> (the encoder's and reader's tests compare their
/// bytes with Google.Protobuf's); a tag is <c>(field number &lt;&lt; 3) | wire type</c> (protobuf.dev, "Encoding").
/// All fields here are below 16, so each tag is one byte.
/// </remarks>
internal static class QuoteLayout
{
    /// <summary>Wire type 0: a varint (int64, uint64).</summary>
    public const int Varint = 0;

    /// <summary>Wire type 1: eight little-endian bytes (double).</summary>
    public const int Fixed64 = 1;

    /// <summary>Wire type 2: a varint length, then that many bytes (string, message, repeated entry).</summary>
    public const int LengthDelimited = 2;

    /// <summary>Wire type 5: four little-endian bytes; no quote field uses it, a reader skips it.</summary>
    public const int Fixed32 = 5;

    /// <summary><c>Quote</c> fields, 1 to 11.</summary>
    public const int Symbol = 1;
    public const int Seq = 2;
    public const int SourceTimeNs = 3;
    public const int PublishTimeNs = 4;
    public const int Bid = 5;
    public const int Ask = 6;
    public const int BidSize = 7;
    public const int AskSize = 8;
    public const int Last = 9;
    public const int LastSize = 10;
    public const int Volume = 11;

    /// <summary><c>QuoteBatch</c> fields: <c>repeated Quote quotes = 1</c>, <c>int64 send_time_ns = 2</c>.</summary>
    public const int BatchQuotes = 1;
    public const int BatchSendTimeNs = 2;

    /// <summary><c>ServerMessage</c> fields that carry a <c>QuoteBatch</c>: <c>snapshot = 3</c>, <c>quotes = 4</c>.</summary>
    public const int MessageSnapshot = 3;
    public const int MessageQuotes = 4;
}
