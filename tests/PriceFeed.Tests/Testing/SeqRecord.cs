using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Testing;

/// <summary>Every seq a client received per symbol, in order, and how many snapshots, since the last <c>hello</c>.</summary>
/// <remarks>A <c>hello</c> in the middle of a session (the server's source changed epoch) starts the record again.</remarks>
internal sealed class SeqRecord
{
    private readonly Dictionary<string, List<ulong>> _seqs = new(StringComparer.Ordinal);

    public int Snapshots { get; private set; }

    /// <summary>The epochs of the <c>hello</c>s read here, in order.</summary>
    public List<string> Hellos { get; } = [];

    /// <summary>Symbols whose record starts with a snapshot entry rather than a live update.</summary>
    public HashSet<string> FromSnapshot { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Symbols => _seqs.Keys;

    public ulong Last(string symbol) => _seqs.TryGetValue(symbol, out var seqs) && seqs.Count > 0 ? seqs[^1] : 0;

    public List<ulong> Seqs(string symbol) => _seqs.GetValueOrDefault(symbol) ?? [];

    public async Task ReadUntilAsync(FeedClient client, Func<bool> done)
    {
        using var deadline = Eventually.Deadline();
        while (!done())
        {
            var message = await Eventually.WithinAsync(client.ReceiveAsync(), "quotes");
            switch (message.BodyCase)
            {
                case ServerMessage.BodyOneofCase.Hello:
                    Hellos.Add(message.Hello.Epoch);
                    _seqs.Clear();
                    FromSnapshot.Clear();
                    Snapshots = 0;
                    break;
                case ServerMessage.BodyOneofCase.Snapshot:
                    Snapshots++;
                    Record(message.Snapshot.Quotes, snapshot: true);
                    break;
                case ServerMessage.BodyOneofCase.Quotes:
                    Record(message.Quotes.Quotes, snapshot: false);
                    break;
            }
        }
    }

    private void Record(IEnumerable<Quote> quotes, bool snapshot)
    {
        foreach (var quote in quotes)
        {
            if (!_seqs.TryGetValue(quote.Symbol, out var seqs))
            {
                _seqs[quote.Symbol] = seqs = [];
                if (snapshot)
                {
                    FromSnapshot.Add(quote.Symbol);
                }
            }

            seqs.Add(quote.Seq);
        }
    }
}
