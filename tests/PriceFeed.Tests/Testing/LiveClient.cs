using System.Net.WebSockets;
using PriceFeed.Protocol.V1;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Testing;

/// <summary>A client that subscribes, then keeps reading in the background, checking seq as quotes arrive.</summary>
/// <remarks>
/// Unlike <see cref="FeedClient.ReceiveAsync"/>, the background read has no per-message timeout: the bus may
/// be quiet for seconds (Redis restarting, the publisher done). Every quote goes through a
/// <see cref="QuoteTracker"/>, so a seq that does not strictly increase is recorded as the client's failure.
/// </remarks>
internal sealed class LiveClient : IAsyncDisposable
{
    private readonly FeedClient _client;
    private readonly QuoteTracker _tracker = new();
    private readonly Dictionary<string, Quote> _latest = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;
    private Exception? _failure;

    private LiveClient(FeedClient client) => _client = client;

    /// <summary>The first snapshot the server sent, as it came.</summary>
    public QuoteBatch? FirstSnapshot { get; private set; }

    /// <summary>Connects, subscribes to <paramref name="symbols"/> and reads the answer, then reads on in the background.</summary>
    public static async Task<LiveClient> ConnectAsync(Uri uri, params string[] symbols)
    {
        var (client, _) = await FeedClient.ConnectAndReadHelloAsync(uri);
        var live = new LiveClient(client);
        try
        {
            await client.SendAsync(new ClientMessage { Subscribe = new Subscribe { RequestId = 1, Symbols = { symbols } } });
            var answer = await client.ReceiveSkippingStatusAsync();
            Assert.Equal(ServerMessage.BodyOneofCase.SubscribeResult, answer.BodyCase);
            Assert.Empty(answer.SubscribeResult.Rejected);
            live._reading = Task.Run(live.ReadAsync);
            return live;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Quotes received so far, snapshots included; fails the test if the background read failed.</summary>
    public int Quotes
    {
        get
        {
            ThrowIfFailed();
            lock (_lock)
            {
                return _tracker.Quotes;
            }
        }
    }

    /// <summary>Symbols this client has received at least one quote of.</summary>
    public int SymbolsHeld
    {
        get
        {
            ThrowIfFailed();
            lock (_lock)
            {
                return _latest.Count;
            }
        }
    }

    /// <summary>Whether this client holds exactly <paramref name="expected"/>: the same quote, seq included, for every symbol.</summary>
    public bool Holds(IReadOnlyDictionary<string, Quote> expected)
    {
        ThrowIfFailed();
        lock (_lock)
        {
            return expected.All(e => _latest.TryGetValue(e.Key, out var quote) && SameQuote(quote, e.Value));
        }
    }

    /// <summary>What this client holds, one line per symbol that differs from <paramref name="expected"/>, for failure messages.</summary>
    public string Differences(IReadOnlyDictionary<string, Quote> expected)
    {
        lock (_lock)
        {
            var lines = expected
                .Where(e => !_latest.TryGetValue(e.Key, out var quote) || !SameQuote(quote, e.Value))
                .Select(e => $"{e.Key}: expected seq {e.Value.Seq}, holds {(_latest.TryGetValue(e.Key, out var q) ? q.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : "nothing")}");
            return string.Join("; ", lines.Take(10));
        }
    }

    /// <summary>Fails the test if the background read saw a broken guarantee or the connection failed.</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new Xunit.Sdk.XunitException("The client's background read failed: " + failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _client.DisposeAsync();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Closing the socket ends the read; that is the point.
        }

        _stop.Dispose();
    }

    // publish_time_ns is each node's own; everything else is the source's and must match.
    private static bool SameQuote(Quote actual, Quote expected)
    {
        var comparable = actual.Clone();
        comparable.PublishTimeNs = expected.PublishTimeNs;
        return comparable.Equals(expected);
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var payload = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _client.Socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"the server closed with {(int?)_client.Socket.CloseStatus}");
                }

                payload.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var message = ServerMessage.Parser.ParseFrom(payload.GetBuffer(), 0, (int)payload.Length);
                payload.SetLength(0);
                Record(message);
            }
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            Volatile.Write(ref _failure, ex);
        }
    }

    private void Record(ServerMessage message)
    {
        lock (_lock)
        {
            if (message.BodyCase == ServerMessage.BodyOneofCase.Snapshot && FirstSnapshot is null)
            {
                FirstSnapshot = message.Snapshot;
            }

            // Fails (and so ends the read with the failure) on a seq that does not strictly increase.
            _tracker.Record(message);
            var batch = message.BodyCase switch
            {
                ServerMessage.BodyOneofCase.Snapshot => message.Snapshot,
                ServerMessage.BodyOneofCase.Quotes => message.Quotes,
                _ => null,
            };
            foreach (var quote in batch?.Quotes ?? [])
            {
                _latest[quote.Symbol] = quote;
            }
        }
    }
}
