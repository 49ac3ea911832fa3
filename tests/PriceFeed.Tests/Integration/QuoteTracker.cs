using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Integration;

/// <summary>What one client received, checked as it arrives: per symbol, seq strictly increases (CONTRACT.md guarantee).</summary>
internal sealed class QuoteTracker
{
    private readonly Dictionary<string, ulong> _lastSeq = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int Quotes { get; private set; }

    public int Snapshots { get; private set; }

    public IReadOnlyDictionary<string, ulong> LastSeq => _lastSeq;

    public int CountOf(string symbol) => _counts.GetValueOrDefault(symbol);

    public ulong LastSeqOf(string symbol) => _lastSeq.GetValueOrDefault(symbol);

    /// <summary>Records a <c>snapshot</c> or <c>quotes</c> message; fails the test on a seq that is not newer.</summary>
    public void Record(ServerMessage message)
    {
        var batch = message.BodyCase switch
        {
            ServerMessage.BodyOneofCase.Snapshot => message.Snapshot,
            ServerMessage.BodyOneofCase.Quotes => message.Quotes,
            _ => null,
        };
        if (batch is null)
        {
            return;
        }

        if (message.BodyCase == ServerMessage.BodyOneofCase.Snapshot)
        {
            Snapshots++;
        }

        foreach (var quote in batch.Quotes)
        {
            var last = _lastSeq.GetValueOrDefault(quote.Symbol);
            Assert.True(quote.Seq > last, $"{quote.Symbol}: seq {quote.Seq} after {last}");
            _lastSeq[quote.Symbol] = quote.Seq;
            _counts[quote.Symbol] = _counts.GetValueOrDefault(quote.Symbol) + 1;
            Quotes++;
        }
    }
}
