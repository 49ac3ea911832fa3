using System.Threading.Channels;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;

namespace PriceFeed.Baseline;

/// <summary>
/// Takes the simulator's quotes, keeps the latest per symbol, serializes each quote once as a
/// <c>quotes</c> message and writes it to the channel of every subscribed client.
/// </summary>
/// <remarks>
/// One lock guards the subscriptions and the latest quotes; the simulator takes it once per
/// batch and a subscribe takes it while it adds the client and reads the snapshot, so the
/// snapshot always precedes the live updates of its symbols. Writing to a client's bounded
/// channel never blocks: when it is full the oldest message goes (<see cref="BoundedChannelFullMode.DropOldest"/>).
/// </remarks>
internal sealed class QuoteHub : IQuoteSink
{
    private readonly Lock _lock = new();
    private readonly SymbolUniverse _universe;
    private readonly Quote?[] _latest;
    private readonly List<ClientConnection>[] _subscribers;
    private readonly List<ClientConnection> _wildcard = [];

    public QuoteHub(SymbolUniverse universe)
    {
        _universe = universe;
        _latest = new Quote?[universe.Count];
        _subscribers = new List<ClientConnection>[universe.Count];
        for (var i = 0; i < _subscribers.Length; i++)
        {
            _subscribers[i] = [];
        }
    }

    public IReadOnlyList<string> Symbols => _universe.Symbols;

    /// <summary>Called on the simulator's thread with each batch.</summary>
    public void Publish(ReadOnlySpan<SimulatedQuote> batch)
    {
        var publishTimeNs = UnixTime.NowNs();
        lock (_lock)
        {
            foreach (ref readonly var simulated in batch)
            {
                var quote = new Quote
                {
                    Symbol = _universe.Symbols[simulated.Instrument],
                    Seq = simulated.Seq,
                    SourceTimeNs = simulated.SourceTimeNs,
                    PublishTimeNs = publishTimeNs,
                    Bid = simulated.Bid,
                    Ask = simulated.Ask,
                    BidSize = simulated.BidSize,
                    AskSize = simulated.AskSize,
                    Last = simulated.Last,
                    LastSize = simulated.LastSize,
                    Volume = simulated.Volume,
                };
                _latest[simulated.Instrument] = quote;

                // Serialized once, shared by every subscriber, so stamped once: its time in a client's
                // channel counts as after the send, not before it.
                var message = new ServerMessage { Quotes = new QuoteBatch { Quotes = { quote }, SendTimeNs = UnixTime.NowNs() } }.ToByteArray();
                foreach (var client in _subscribers[simulated.Instrument])
                {
                    client.Send(message);
                }

                foreach (var client in _wildcard)
                {
                    client.Send(message);
                }
            }
        }
    }

    /// <summary>Subscribes <paramref name="client"/>; answers with subscribe_result and a snapshot, in order.</summary>
    public void Subscribe(ClientConnection client, Subscribe request)
    {
        var result = new SubscribeResult { RequestId = request.RequestId };
        var snapshot = new QuoteBatch();
        lock (_lock)
        {
            foreach (var symbol in request.Symbols)
            {
                if (symbol == "*")
                {
                    if (!_wildcard.Contains(client))
                    {
                        _wildcard.Add(client);
                        for (var i = 0; i < _latest.Length; i++)
                        {
                            AddToSnapshot(snapshot, i, request);
                        }
                    }

                    result.Accepted.Add(symbol);
                }
                else if (_universe.TryGetInstrument(symbol, out var instrument))
                {
                    if (!_subscribers[instrument].Contains(client))
                    {
                        _subscribers[instrument].Add(client);
                        AddToSnapshot(snapshot, instrument, request);
                    }

                    result.Accepted.Add(symbol);
                }
                else
                {
                    result.Rejected.Add(new Rejection { Symbol = symbol, Reason = "unknown_symbol" });
                }
            }

            // Inside the lock: nothing published after the snapshot was read can overtake it.
            client.Send(new ServerMessage { SubscribeResult = result }.ToByteArray());
            if (snapshot.Quotes.Count > 0)
            {
                snapshot.SendTimeNs = UnixTime.NowNs();
                client.Send(new ServerMessage { Snapshot = snapshot }.ToByteArray());
            }
        }
    }

    public void Unsubscribe(ClientConnection client, Unsubscribe request)
    {
        lock (_lock)
        {
            foreach (var symbol in request.Symbols)
            {
                if (symbol == "*")
                {
                    _wildcard.Remove(client);
                }
                else if (_universe.TryGetInstrument(symbol, out var instrument))
                {
                    _subscribers[instrument].Remove(client);
                }
            }
        }
    }

    /// <summary>Forgets a client that has gone.</summary>
    public void Remove(ClientConnection client)
    {
        lock (_lock)
        {
            _wildcard.Remove(client);
            foreach (var list in _subscribers)
            {
                list.Remove(client);
            }
        }
    }

    private void AddToSnapshot(QuoteBatch snapshot, int instrument, Subscribe request)
    {
        if (!request.SkipSnapshot && _latest[instrument] is { } latest)
        {
            snapshot.Quotes.Add(latest);
        }
    }
}
