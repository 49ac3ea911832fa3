using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Testing;

/// <summary>What one client received, checked as it arrives: per symbol, seq strictly increases (docs/protocol.md, "Guarantees").</summary>
/// <remarks>Thread-safe: a reader task records while the test polls.</remarks>
internal sealed class QuoteTracker
{
    private readonly Dictionary<string, ulong> _lastSeq = new(StringComparer.Ordinal);

    // The seq guard: like _lastSeq, but started again at a hello in the middle of the session (a new epoch).
    private readonly Dictionary<string, ulong> _guard = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _quotes;
    private int _snapshots;

    public int Quotes
    {
        get
        {
            lock (_lock)
            {
                return _quotes;
            }
        }
    }

    public int Snapshots
    {
        get
        {
            lock (_lock)
            {
                return _snapshots;
            }
        }
    }

    /// <summary>How many symbols have had a quote.</summary>
    public int SymbolCount
    {
        get
        {
            lock (_lock)
            {
                return _lastSeq.Count;
            }
        }
    }

    public int CountOf(string symbol)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(symbol);
        }
    }

    public ulong LastSeqOf(string symbol)
    {
        lock (_lock)
        {
            return _lastSeq.GetValueOrDefault(symbol);
        }
    }

    /// <summary>Reads <paramref name="client"/> into this tracker until the client closes or fails (the test has ended).</summary>
    public Task PumpAsync(FeedClient client) => Task.Run(async () =>
    {
        try
        {
            while (true)
            {
                Record(await client.ReceiveAsync());
            }
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or OperationCanceledException
            or Xunit.Sdk.XunitException)
        {
            // The client was closed or the server went away: the pump ends with it.
        }
    });

    /// <summary>Seq violations seen (a pumping reader cannot fail the test from its task, so tests check this).</summary>
    public int Violations { get; private set; }

    /// <summary>Records a <c>snapshot</c> or <c>quotes</c> message; fails the test on a seq that is not newer within
    /// an epoch. A <c>hello</c> read after the first (the source changed epoch) starts the guard again.</summary>
    public void Record(ServerMessage message)
    {
        if (message.BodyCase == ServerMessage.BodyOneofCase.Hello)
        {
            lock (_lock)
            {
                _guard.Clear();
            }

            return;
        }

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

        lock (_lock)
        {
            if (message.BodyCase == ServerMessage.BodyOneofCase.Snapshot)
            {
                _snapshots++;
            }

            foreach (var quote in batch.Quotes)
            {
                var last = _guard.GetValueOrDefault(quote.Symbol);
                if (quote.Seq <= last)
                {
                    Violations++;
                }

                Assert.True(quote.Seq > last, $"{quote.Symbol}: seq {quote.Seq} after {last}");
                _guard[quote.Symbol] = quote.Seq;
                _lastSeq[quote.Symbol] = quote.Seq;
                _counts[quote.Symbol] = _counts.GetValueOrDefault(quote.Symbol) + 1;
                _quotes++;
            }
        }
    }
}
