using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>A message as a <see cref="BarClient"/> received it, with the wall-clock time (Unix ns) it came.</summary>
internal sealed record Arrival(long AtNs, ServerMessage Message);

/// <summary>A closed or in-progress bar as received, with its arrival time.</summary>
internal sealed record ReceivedBar(long AtNs, Bar Bar);

/// <summary>
/// A <see cref="FeedClient"/> read by a loop of its own from the start, keeping every message with the time it came, so
/// a test can send while reading and look at the whole conversation afterwards (docs/protocol.md, "Bars").
/// </summary>
/// <remarks>Dispose it (<c>await using</c>): the connection closes and the loop ends even when the test fails.</remarks>
internal sealed class BarClient : IAsyncDisposable
{
    private readonly List<Arrival> _arrivals = [];
    private readonly List<ReceivedBar> _bars = [];
    private readonly Dictionary<(string Symbol, uint IntervalS, bool Closed), List<ReceivedBar>> _barsByKey = [];
    private readonly Lock _lock = new();
    private readonly Task _reading;
    private volatile Exception? _failure;

    private BarClient(FeedClient client)
    {
        Client = client;
        _reading = Task.Run(ReadAsync);
    }

    public FeedClient Client { get; }

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<Arrival> Arrivals
    {
        get
        {
            lock (_lock)
            {
                return [.. _arrivals];
            }
        }
    }

    /// <summary>Every bar received so far (history and updates), in order.</summary>
    public IReadOnlyList<ReceivedBar> Bars
    {
        get
        {
            lock (_lock)
            {
                return [.. _bars];
            }
        }
    }

    /// <summary>The closed bars of <paramref name="symbol"/> in <paramref name="intervalS"/> received so far, in order.</summary>
    public IReadOnlyList<ReceivedBar> Closed(string symbol, uint intervalS) => BarsOf(symbol, intervalS, closed: true);

    /// <summary>The in-progress bars of <paramref name="symbol"/> in <paramref name="intervalS"/> received so far, in order.</summary>
    public IReadOnlyList<ReceivedBar> InProgress(string symbol, uint intervalS) => BarsOf(symbol, intervalS, closed: false);

    /// <summary>The quotes received so far (snapshots and updates).</summary>
    public IReadOnlyList<Quote> Quotes =>
        [.. Arrivals.SelectMany(a => a.Message.BodyCase switch
        {
            ServerMessage.BodyOneofCase.Quotes => a.Message.Quotes.Quotes,
            ServerMessage.BodyOneofCase.Snapshot => a.Message.Snapshot.Quotes,
            _ => [],
        })];

    public static async Task<BarClient> ConnectAsync(Uri uri, string? subprotocol = null)
    {
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(uri, subprotocol);
        return new BarClient(client);
    }

    /// <summary>Sends <paramref name="request"/> and returns its <c>subscribe_result</c>.</summary>
    public async Task<SubscribeResult> SubscribeBarsAsync(SubscribeBars request)
    {
        await Client.SendAsync(new ClientMessage { SubscribeBars = request });
        return (await UntilMessageAsync(
            m => m.BodyCase == ServerMessage.BodyOneofCase.SubscribeResult && m.SubscribeResult.RequestId == request.RequestId,
            $"the subscribe_result of request {request.RequestId}")).Message.SubscribeResult;
    }

    /// <summary>Subscribes to the quotes of <paramref name="symbols"/> and returns the answer.</summary>
    public async Task<SubscribeResult> SubscribeQuotesAsync(uint requestId, params string[] symbols)
    {
        await Client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = requestId, Symbols = { symbols } } });
        return (await UntilMessageAsync(
            m => m.BodyCase == ServerMessage.BodyOneofCase.SubscribeResult && m.SubscribeResult.RequestId == requestId,
            $"the subscribe_result of request {requestId}")).Message.SubscribeResult;
    }

    /// <summary>The <c>bars</c> message right after the <c>subscribe_result</c> of <paramref name="requestId"/>: the history.</summary>
    public async Task<IReadOnlyList<Bar>> HistoryAsync(uint requestId)
    {
        await UntilAsync(() => HistoryIndex(requestId) >= 0, $"the history of request {requestId}");
        return [.. Arrivals[HistoryIndex(requestId)].Message.Bars.Bars];
    }

    /// <summary>Sends a ping and waits for its pong; returns the index of the pong in <see cref="Arrivals"/>: every message
    /// the server queued before it handled the ping comes before that index.</summary>
    public async Task<int> PingAsync(long clientTimeNs)
    {
        await Client.SendAsync(new ClientMessage { Ping = new Ping { ClientTimeNs = clientTimeNs } });
        var pong = await UntilMessageAsync(
            m => m.BodyCase == ServerMessage.BodyOneofCase.Pong && m.Pong.ClientTimeNs == clientTimeNs, $"the pong of {clientTimeNs}");
        return IndexOf(pong);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing at once if the connection failed.</summary>
    public Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () =>
            {
                if (_failure is { } failure)
                {
                    Assert.Fail($"The client's connection failed while waiting until {what}: {failure.Message}");
                }

                return condition();
            },
            what,
            timeout);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The loop ends when the socket goes away; how does not matter any more.
        }
    }

    private IReadOnlyList<ReceivedBar> BarsOf(string symbol, uint intervalS, bool closed)
    {
        lock (_lock)
        {
            return _barsByKey.TryGetValue((symbol, intervalS, closed), out var list) ? [.. list] : [];
        }
    }

    private int HistoryIndex(uint requestId)
    {
        var arrivals = Arrivals;
        var answer = -1;
        for (var i = 0; i < arrivals.Count; i++)
        {
            var message = arrivals[i].Message;
            if (answer < 0)
            {
                answer = message.BodyCase == ServerMessage.BodyOneofCase.SubscribeResult && message.SubscribeResult.RequestId == requestId ? i : -1;
            }
            else
            {
                // Exactly one bars message, and at once: nothing comes between the answer and the history.
                Assert.True(message.BodyCase == ServerMessage.BodyOneofCase.Bars, $"after the subscribe_result of request {requestId} came {message} instead of the history");
                return i;
            }
        }

        return -1;
    }

    private int IndexOf(Arrival arrival)
    {
        var arrivals = Arrivals;
        for (var i = 0; i < arrivals.Count; i++)
        {
            if (ReferenceEquals(arrivals[i], arrival))
            {
                return i;
            }
        }

        return -1;
    }

    private async Task<Arrival> UntilMessageAsync(Func<ServerMessage, bool> match, string what)
    {
        Arrival? found = null;
        await UntilAsync(() => (found = Arrivals.FirstOrDefault(a => match(a.Message))) is not null, what);
        return found!;
    }

    private async Task ReadAsync()
    {
        try
        {
            while (true)
            {
                var message = await Client.ReceiveAsync();
                var at = UnixTime.NowNs();
                lock (_lock)
                {
                    _arrivals.Add(new Arrival(at, message));
                    if (message.BodyCase == ServerMessage.BodyOneofCase.Bars)
                    {
                        foreach (var bar in message.Bars.Bars)
                        {
                            var received = new ReceivedBar(at, bar);
                            _bars.Add(received);
                            var key = (bar.Symbol, bar.IntervalS, bar.Closed);
                            if (!_barsByKey.TryGetValue(key, out var list))
                            {
                                _barsByKey[key] = list = [];
                            }

                            list.Add(received);
                        }
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // The end of the connection, wanted (disposed) or not (the test sees it in UntilAsync).
            _failure = ex;
        }
    }
}
