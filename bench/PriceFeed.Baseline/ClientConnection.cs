using System.Net.WebSockets;
using System.Threading.Channels;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Simulation;

namespace PriceFeed.Baseline;

/// <summary>One WebSocket client: a bounded channel of serialized messages and one task that writes them out.</summary>
/// <remarks>
/// <see cref="Send"/> is called from any thread (the simulator, the client's own reader) and never
/// blocks: when the client is behind by the channel's capacity the oldest message is dropped.
/// </remarks>
internal sealed class ClientConnection
{
    private readonly WebSocket _socket;
    private readonly QuoteHub _hub;
    private readonly Channel<byte[]> _outbound;

    public ClientConnection(WebSocket socket, QuoteHub hub, int capacity)
    {
        _socket = socket;
        _hub = hub;
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public void Send(byte[] message) => _outbound.Writer.TryWrite(message);

    /// <summary>Runs the conversation until the client or the server closes it.</summary>
    public async Task RunAsync(Hello hello, CancellationToken stopping)
    {
        Send(new ServerMessage { Hello = hello }.ToByteArray());
        var writer = WriteLoopAsync(stopping);
        try
        {
            await ReadLoopAsync(stopping);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidProtocolBufferException)
        {
            // The client went away, the server is stopping, or it sent garbage: the conversation is over.
        }
        finally
        {
            _hub.Remove(this);
            _outbound.Writer.TryComplete();
            await writer;
        }
    }

    private async Task ReadLoopAsync(CancellationToken stopping)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == buffer.Length)
                {
                    await _socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big", stopping);
                    return;
                }

                result = await _socket.ReceiveAsync(buffer.AsMemory(count), stopping);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, stopping);
                return;
            }

            var message = ClientMessage.Parser.ParseFrom(buffer, 0, count);
            switch (message.BodyCase)
            {
                case ClientMessage.BodyOneofCase.Subscribe:
                    _hub.Subscribe(this, message.Subscribe);
                    break;
                case ClientMessage.BodyOneofCase.Unsubscribe:
                    _hub.Unsubscribe(this, message.Unsubscribe);
                    break;
                case ClientMessage.BodyOneofCase.Ping:
                    Send(new ServerMessage { Pong = new Pong { ClientTimeNs = message.Ping.ClientTimeNs, ServerTimeNs = UnixTime.NowNs() } }.ToByteArray());
                    break;
                default:
                    await _socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, "unknown message", stopping);
                    return;
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(stopping))
            {
                await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, stopping);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket closed under the writer: nothing left to send to.
        }
    }
}
