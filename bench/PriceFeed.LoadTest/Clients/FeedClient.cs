using System.Diagnostics;
using System.Net.WebSockets;
using Google.Protobuf;
using PriceFeed.Protocol.V1;

namespace PriceFeed.LoadTest.Clients;

/// <summary>
/// One real WebSocket client: connects, waits for <c>hello</c>, subscribes, then receives until
/// closed, checking seq order per symbol and recording latency during the measured window.
/// </summary>
/// <remarks>
/// <para>Many clients share a few threads (everything is async). The receive path allocates
/// nothing per message: one buffer per client, grown only for a message bigger than any before,
/// and quotes read in place with <see cref="ProtoReader"/>. The rare control messages (hello,
/// subscribe_result, pong, error) go through the generated parser.</para>
/// <para>Counters are written by the client's receive loop only and read by the runner with
/// volatile reads; exact once the loop has stopped or the window has closed.</para>
/// </remarks>
internal sealed class FeedClient : IDisposable
{
    public const string Subprotocol = "pricefeed.v1.proto";

    // ServerMessage field numbers (docs/protocol.md, "Messages").
    private const int FieldHello = 1;
    private const int FieldSubscribeResult = 2;
    private const int FieldSnapshot = 3;
    private const int FieldQuotes = 4;
    private const int FieldError = 6;

    private readonly ClientWebSocket _socket = new();
    private readonly SymbolIndex _index;
    private readonly RunState _state;
    private readonly LatencyRecorder.Shard _latency;
    private readonly ulong[] _lastSeq;
    private readonly int _stallMs;
    private readonly long _stallEveryTicks;
    private byte[] _buffer;
    private long _nextStallTicks;

    private long _quotes;
    private long _frames;
    private long _snapshotQuotes;
    private long _measuredQuotes;
    private long _measuredFrames;
    private long _seqViolations;
    private long _errors;
    private long _lastReceiveTicks;
    private int _accepted;

    /// <param name="symbols">Indexes into <paramref name="index"/> to subscribe to; empty for <c>*</c>.</param>
    /// <param name="stallMs">0 for a fast client; otherwise the client stops reading this long every <paramref name="stallEveryMs"/>.</param>
    public FeedClient(int id, int[] symbols, SymbolIndex index, RunState state, LatencyRecorder recorder, int stallMs, int stallEveryMs, int bufferBytes)
    {
        Id = id;
        Symbols = symbols;
        _index = index;
        _state = state;
        _latency = recorder.For(id);
        _lastSeq = new ulong[index.Count];
        _stallMs = stallMs;
        _stallEveryTicks = stallEveryMs * Stopwatch.Frequency / 1000;
        _buffer = new byte[bufferBytes];
        _socket.Options.AddSubProtocol(Subprotocol);
        // The server sends its own heartbeat pings, which the socket answers by itself.
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public int Id { get; }

    public int[] Symbols { get; }

    public bool IsWildcard => Symbols.Length == 0;

    public bool IsSlow => _stallMs > 0;

    public long Quotes => Volatile.Read(ref _quotes);

    public long Frames => Volatile.Read(ref _frames);

    public long SnapshotQuotes => Volatile.Read(ref _snapshotQuotes);

    public long MeasuredQuotes => Volatile.Read(ref _measuredQuotes);

    public long MeasuredFrames => Volatile.Read(ref _measuredFrames);

    public long SeqViolations => Volatile.Read(ref _seqViolations);

    public long Errors => Volatile.Read(ref _errors);

    /// <summary>Symbols the server accepted in its subscribe_result (-1 before it came).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>How the receive loop ended: null while it runs.</summary>
    public string? ClosedReason { get; private set; }

    public long LastReceiveTicks => Volatile.Read(ref _lastReceiveTicks);

    /// <summary>The last seq received for the symbol at <paramref name="symbolIndex"/> (0: none).</summary>
    public ulong LastSeq(int symbolIndex) => Volatile.Read(ref _lastSeq[symbolIndex]);

    /// <summary>Opens the WebSocket, waits for <c>hello</c> and sends the subscription.</summary>
    public async Task ConnectAndSubscribeAsync(Uri uri, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _accepted = -1;
        await _socket.ConnectAsync(uri, invoker, cancellationToken);
        var hello = await ReceiveMessageAsync(cancellationToken);
        if (hello.Count == 0 || FirstField(_buffer.AsSpan(0, hello.Count)) != FieldHello)
        {
            throw new InvalidOperationException("The server's first message was not hello.");
        }

        var subscribe = new Subscribe { RequestId = (ulong)Id + 1 };
        if (IsWildcard)
        {
            subscribe.Symbols.Add("*");
        }
        else
        {
            foreach (var symbol in Symbols)
            {
                subscribe.Symbols.Add(_index.Symbols[symbol]);
            }
        }

        var request = new ClientMessage { Subscribe = subscribe }.ToByteArray();
        await _socket.SendAsync(request, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        _nextStallTicks = Stopwatch.GetTimestamp() + (Random.Shared.NextInt64(Math.Max(1, _stallEveryTicks)));
    }

    /// <summary>Receives until the server closes, the socket fails, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var message = await ReceiveMessageAsync(cancellationToken);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    ClosedReason = $"closed by server: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    return;
                }

                Volatile.Write(ref _lastReceiveTicks, Stopwatch.GetTimestamp());
                Handle(_buffer.AsSpan(0, message.Count));

                if (_stallMs > 0 && _state.Stalling && Stopwatch.GetTimestamp() >= _nextStallTicks)
                {
                    // A slow consumer on purpose: stop reading, so the server's send queue for it backs up.
                    await Task.Delay(_stallMs, cancellationToken);
                    _nextStallTicks = Stopwatch.GetTimestamp() + _stallEveryTicks;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The run's end cancels the loops and disposes the sockets; a receive under way when its socket is
            // disposed ends this way (seen against a server that had fallen behind), not with a cancellation.
            ClosedReason = "stopped by the tool";
        }
        catch (WebSocketException ex)
        {
            ClosedReason = "socket error: " + ex.Message;
        }
    }

    public void Dispose()
    {
        _socket.Abort();
        _socket.Dispose();
    }

    private static int FirstField(ReadOnlySpan<byte> message)
    {
        var reader = new ProtoReader(message);
        return reader.TryReadTag(out var field, out _) ? field : 0;
    }

    /// <summary>Receives one whole message into the buffer, growing it if the message is bigger than any before.</summary>
    private async ValueTask<(int Count, WebSocketMessageType MessageType)> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            if (count == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var result = await _socket.ReceiveAsync(_buffer.AsMemory(count), cancellationToken);
            count += result.Count;
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (count, result.MessageType);
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new ProtoReader(message);
            if (!reader.TryReadTag(out var field, out _))
            {
                return;
            }

            switch (field)
            {
                case FieldQuotes:
                    OnQuotes(reader.ReadLengthDelimited());
                    break;
                case FieldSnapshot:
                    OnSnapshot(reader.ReadLengthDelimited());
                    break;
                case FieldSubscribeResult:
                    Volatile.Write(ref _accepted, ServerMessage.Parser.ParseFrom(message).SubscribeResult.Accepted.Count);
                    break;
                case FieldError:
                    _errors++;
                    break;
                default:
                    // hello again, pong: nothing to check.
                    break;
            }
        }
        catch (FormatException)
        {
            _errors++;
        }
    }

    private void OnQuotes(ReadOnlySpan<byte> batch)
    {
        var receivedNs = RunState.NowNs();
        var measuring = _state.Measuring;
        var count = 0;
        var batchReader = new QuoteBatchReader(batch);
        if (measuring)
        {
            lock (_latency.Lock)
            {
                _latency.BeginMessage();
                while (NextQuote(ref batchReader, out var quote))
                {
                    count++;
                    _latency.Record(receivedNs, quote.PublishTimeNs, quote.SourceTimeNs);
                }

                // Only now is the message's send time known: it may come after its quotes.
                _latency.EndMessage(receivedNs, batchReader.SendTimeNs);
            }

            Volatile.Write(ref _measuredQuotes, _measuredQuotes + count);
            Volatile.Write(ref _measuredFrames, _measuredFrames + 1);
        }
        else
        {
            while (NextQuote(ref batchReader, out _))
            {
                count++;
            }
        }

        Volatile.Write(ref _quotes, _quotes + count);
        Volatile.Write(ref _frames, _frames + 1);
    }

    private void OnSnapshot(ReadOnlySpan<byte> batch)
    {
        var batchReader = new QuoteBatchReader(batch);
        var count = 0;
        while (NextQuote(ref batchReader, out _))
        {
            count++;
        }

        Volatile.Write(ref _snapshotQuotes, _snapshotQuotes + count);
    }

    /// <summary>Reads the next quote of a QuoteBatch and checks its seq; false at the end of the batch.</summary>
    private bool NextQuote(ref QuoteBatchReader batch, out QuoteView quote)
    {
        if (!batch.TryReadQuote(out quote))
        {
            return false;
        }

        var symbol = _index.Find(quote.Symbol);
        if (symbol < 0)
        {
            _errors++;
        }
        else if (quote.Seq <= _lastSeq[symbol])
        {
            // docs/protocol.md, "Guarantees": per symbol, seq strictly increases, snapshot included.
            _seqViolations++;
        }
        else
        {
            Volatile.Write(ref _lastSeq[symbol], quote.Seq);
        }

        return true;
    }
}
