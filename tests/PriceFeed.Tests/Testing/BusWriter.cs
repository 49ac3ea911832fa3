using Google.Protobuf;
using PriceFeed.Protocol;
using PriceFeed.Protocol.Bus.V1;
using PriceFeed.Protocol.V1;
using StackExchange.Redis;

namespace PriceFeed.Tests.Testing;

/// <summary>Writes bus entries by hand, as a publisher would (<c>BusEntry</c> from the generated class), one step at a
/// time: into the stream, on the channel, or both; for driving a node through every case of the chain rule.</summary>
internal sealed class BusWriter
{
    private static readonly RedisChannel s_channel = RedisChannel.Literal(RedisBus.QuotesChannel);

    private readonly IDatabase _database;
    private BusEntryId _previous;
    private ulong _nextMs;

    public BusWriter(IDatabase database, string epoch, ulong firstMs = 1_000)
    {
        _database = database;
        Epoch = epoch;
        _nextMs = firstMs;
    }

    public string Epoch { get; }

    /// <summary>The id of the last entry made.</summary>
    public BusEntryId Last => _previous;

    public static Quote Quote(string symbol, ulong seq) => new() { Symbol = symbol, Seq = seq, Bid = seq, Ask = seq + 0.5 };

    /// <summary>The next entry of this epoch carrying <paramref name="quotes"/>, with its id; nothing is sent.</summary>
    public (BusEntryId Id, byte[] Bytes) Next(params Quote[] quotes)
    {
        var id = new BusEntryId(_nextMs++, 0);
        var entry = new BusEntry
        {
            Epoch = Epoch, IdMs = id.Ms, IdSeq = id.Seq, PrevMs = _previous.Ms, PrevSeq = _previous.Seq,
            Batch = new QuoteBatch { Quotes = { quotes } }.ToByteString(),
        };
        _previous = id;
        return (id, entry.ToByteArray());
    }

    /// <summary>As the publisher does: the hash, the stream, then the channel.</summary>
    public async Task<BusEntryId> SendAsync(params Quote[] quotes)
    {
        var (id, bytes) = Next(quotes);
        await WriteHashAsync(quotes);
        await AppendAsync(id, bytes);
        await PublishAsync(bytes);
        return id;
    }

    /// <summary>Into the hash and the stream only: an entry a node misses on the channel.</summary>
    public async Task<BusEntryId> StreamOnlyAsync(params Quote[] quotes)
    {
        var (id, bytes) = Next(quotes);
        await WriteHashAsync(quotes);
        await AppendAsync(id, bytes);
        return id;
    }

    public Task AppendAsync(BusEntryId id, byte[] bytes) =>
        _database.StreamAddAsync(RedisBus.StreamKey, RedisBus.EntryField, bytes, id.ToString());

    public Task<long> PublishAsync(byte[] bytes) => _database.PublishAsync(s_channel, bytes);

    private Task WriteHashAsync(Quote[] quotes) =>
        _database.HashSetAsync(RedisBus.LastKey, [.. quotes.Select(q => new HashEntry(q.Symbol, q.ToByteArray()))]);
}
