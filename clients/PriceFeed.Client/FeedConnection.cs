using System.Net;
using System.Net.WebSockets;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Client;

/// <summary>One WebSocket connection to the server: opening handshake, whole messages in and out, close.</summary>
/// <remarks>
/// One reader (the client's connection loop) and any number of writers: sends are serialised by a
/// lock because a WebSocket allows one send at a time. A reconnect makes a new instance.
/// </remarks>
internal sealed class FeedConnection : IDisposable
{
    /// <summary>16 MiB: a snapshot of 100,000 symbols at about 100 bytes each; nothing larger is a PriceFeed message.</summary>
    private const int MaxMessageBytes = 16 << 20;

    /// <summary>Time the close handshake may take before the socket is aborted: one round trip to a live server.</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(2);

    private readonly ClientWebSocket _socket;
    private readonly MessageCodec _codec;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _receiveBuffer = new byte[64 * 1024];
    private long _lastReceivedTicks = Environment.TickCount64;
    private int _closing;

    private FeedConnection(ClientWebSocket socket, MessageCodec codec)
    {
        _socket = socket;
        _codec = codec;
    }

    /// <summary>Set when the server said <c>go_away</c> on this connection: come back no sooner than this. Connection loop.</summary>
    public TimeSpan? GoAwayAfter { get; set; }

    /// <summary>True once this connection is back to normal: hello, then the re-subscribe answered (its snapshot follows
    /// at once), or hello alone with nothing to re-subscribe. Only then does the reconnect backoff start over. Connection loop.</summary>
    public bool Settled { get; set; }

    /// <summary>The request id of the re-subscribe sent after hello; 0 when none was sent.</summary>
    public ulong ResubscribeRequestId { get; set; }

    /// <summary>True once the re-subscribe's <c>subscribe_result</c> arrived. Connection loop.</summary>
    public bool ResubscribeAnswered { get; set; }

    /// <summary><see cref="Environment.TickCount64"/> when the last frame of any kind arrived.</summary>
    public long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);

    /// <summary>Completes once the client has finished with this connection (its pending requests are answered).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Opens the WebSocket presenting <c>token</c> (the latest one after a refresh; null: none); a refused
    /// token throws a non-transient <see cref="PriceFeedException"/>.</summary>
    public static async Task<FeedConnection> OpenAsync(PriceFeedClientOptions options, MessageCodec codec, string? token, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(codec.Name);
        // Keeps the HTTP status of a refused upgrade, to tell a bad token (stop) from an overloaded server (retry).
        socket.Options.CollectHttpResponseDetails = true;
        // The client's ping/pong heartbeat detects dead servers; the runtime's unsolicited pongs would add nothing.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (token is { Length: > 0 })
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        try
        {
            await socket.ConnectAsync(options.Url!, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            socket.Dispose();
            throw new PriceFeedException(
                $"The server refused the connection with HTTP {(int)socket.HttpStatusCode}: check {nameof(PriceFeedClientOptions.Token)}.", ex)
            {
                IsTransient = false,
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new FeedConnection(socket, codec);
    }

    /// <summary>Sends one message. Throws <see cref="WebSocketException"/> or <see cref="ObjectDisposedException"/> on a dead connection.</summary>
    public async Task SendAsync(ClientMessage message, CancellationToken cancellationToken)
    {
        var bytes = _codec.Encode(message);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, _codec.MessageType, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next whole message; null once the server closed the connection (see <see cref="DescribeClose"/>).</summary>
    public async Task<ServerMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _receiveBuffer.Length)
            {
                if (length >= MaxMessageBytes)
                {
                    throw new PriceFeedException($"The server sent a message over {MaxMessageBytes} bytes.") { IsTransient = false };
                }

                Array.Resize(ref _receiveBuffer, Math.Min(length * 2, MaxMessageBytes));
            }

            var result = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await AnswerCloseAsync().ConfigureAwait(false);
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return _codec.Decode(_receiveBuffer.AsSpan(0, length));
            }
        }
    }

    /// <summary>Why the server closed: a <see cref="PriceFeedException"/> carrying its close code.</summary>
    public PriceFeedException DescribeClose(string? lastError)
    {
        var code = (int?)_socket.CloseStatus ?? (int)WebSocketCloseStatus.Empty;
        var detail = string.IsNullOrEmpty(_socket.CloseStatusDescription) ? "" : $" ({_socket.CloseStatusDescription})";
        var error = lastError is null ? "" : $" after error: {lastError}";
        // docs/protocol.md, "Close codes". Retrying cannot help after a protocol error (1002, 1003, 1007), a policy
        // refusal such as an expired token (1008) or a message too big (1009): the next connection would be
        // closed the same way. Shutdown (1001), overload (1011, 1013) and slow consumer (4001) may pass.
        var transient = code is not (1002 or 1003 or 1007 or 1008 or 1009);
        return new PriceFeedException($"The server closed the connection with {code}{detail}{error}.", code) { IsTransient = transient };
    }

    /// <summary>Starts the close handshake and aborts the socket if it does not finish in time. Returns at once.</summary>
    public void BeginClose()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _ = CloseAsync();
        }
    }

    /// <summary>Drops the TCP connection at once: the pending receive fails, which ends the connection loop.</summary>
    public void Abort() => _socket.Abort();

    /// <summary>Marks the connection finished for anyone waiting on <see cref="Ended"/>.</summary>
    public void MarkEnded() => _ended.TrySetResult();

    public void Dispose()
    {
        _socket.Dispose();
        _sendLock.Dispose();
        _ended.TrySetResult();
    }

    private async Task CloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_closeTimeout);
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client closing", timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }

            // The server answers with its own close, which ends the pending receive and so the connection.
            await _ended.Task.WaitAsync(s_closeTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // A dead or silent server: dropping the socket is all that is left to do.
            _socket.Abort();
        }
    }

    private async Task AnswerCloseAsync()
    {
        // RFC 6455 5.5.1: an endpoint that receives a Close frame sends one in response.
        if (_socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(s_closeTimeout);
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server is gone already; the close code it sent is what matters.
        }
    }
}
