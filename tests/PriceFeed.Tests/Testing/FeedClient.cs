using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Wire;
using FeedSubprotocols = PriceFeed.Server.Wire.FeedSubprotocols;

namespace PriceFeed.Tests.Testing;

/// <summary>A well-behaved client: <see cref="ClientWebSocket"/> speaking either subprotocol with the generated classes.</summary>
/// <remarks>Every receive has a timeout that fails the test (a cancelled receive aborts a ClientWebSocket, which is
/// fine: the test has failed by then). Disposing closes politely if the socket is still open, else aborts.</remarks>
internal sealed class FeedClient : IAsyncDisposable
{
    private static readonly TimeSpan s_politeCloseTimeout = TimeSpan.FromSeconds(2);

    private FeedClient(ClientWebSocket socket, bool json)
    {
        Socket = socket;
        IsJson = json;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>Whether messages travel as <c>pricefeed.v1.json</c> text frames (else <c>pricefeed.v1.proto</c> binary ones).</summary>
    public bool IsJson { get; }

    /// <summary>Connects, offering <paramref name="subprotocol"/> when given (none: the server's default).</summary>
    /// <param name="receiveBufferBytes">When set, the socket's kernel receive buffer: a small one makes a client that
    /// stops reading push back on the server within milliseconds instead of after megabytes.</param>
    public static async Task<FeedClient> ConnectAsync(
        Uri uri, string? subprotocol = null, Action<ClientWebSocketOptions>? configure = null, int? receiveBufferBytes = null)
    {
        var socket = new ClientWebSocket();
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        configure?.Invoke(socket.Options);
        try
        {
            using var deadline = Eventually.Deadline();
            if (receiveBufferBytes is { } bytes)
            {
                using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
                {
                    ConnectCallback = async (context, token) =>
                    {
                        var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
                        {
                            ReceiveBufferSize = bytes,
                            NoDelay = true,
                        };
                        await tcp.ConnectAsync(context.DnsEndPoint, token);
                        return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
                    },
                });
                await socket.ConnectAsync(uri, invoker, deadline.Token);
            }
            else
            {
                await socket.ConnectAsync(uri, deadline.Token);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new FeedClient(socket, subprotocol == FeedSubprotocols.JsonV1);
    }

    /// <summary>Connects and reads the <c>hello</c> the server sends first.</summary>
    public static async Task<(FeedClient Client, Hello Hello)> ConnectAndReadHelloAsync(
        Uri uri, string? subprotocol = null, int? receiveBufferBytes = null)
    {
        var client = await ConnectAsync(uri, subprotocol, receiveBufferBytes: receiveBufferBytes);
        try
        {
            return (client, await client.ReadHelloAsync());
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the <c>hello</c> the server sends first.</summary>
    public async Task<Hello> ReadHelloAsync()
    {
        var first = await ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.Hello, first.BodyCase);
        return first.Hello;
    }

    /// <summary>Receives one whole message; on a Close from the server returns type Close and an empty payload.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveRawAsync()
    {
        using var deadline = Eventually.Deadline();
        var payload = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (WebSocketMessageType.Close, []);
                }

                payload.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return (result.MessageType, payload.ToArray());
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out after {Eventually.DefaultTimeout.TotalSeconds} s waiting for a message from the server.");
        }
    }

    /// <summary>Receives one <see cref="ServerMessage"/>, checking it came in the subprotocol's frame type.</summary>
    public async Task<ServerMessage> ReceiveAsync()
    {
        var (type, payload) = await ReceiveRawAsync();
        Assert.True(type != WebSocketMessageType.Close, $"The server closed with {(int?)Socket.CloseStatus} '{Socket.CloseStatusDescription}' where a message was expected.");
        if (IsJson)
        {
            Assert.Equal(WebSocketMessageType.Text, type);
            return JsonParser.Default.Parse<ServerMessage>(Encoding.UTF8.GetString(payload));
        }

        Assert.Equal(WebSocketMessageType.Binary, type);
        return ServerMessage.Parser.ParseFrom(payload);
    }

    /// <summary>Receives until the server's Close (collecting the messages before it) and returns its status.</summary>
    /// <summary>The next message that is not a feed status: statuses come whenever the source's reachability changes
    /// (docs/protocol.md, "Feed status"), so a test waiting for an answer passes over them.</summary>
    public async Task<ServerMessage> ReceiveSkippingStatusAsync()
    {
        while (true)
        {
            var message = await ReceiveAsync();
            if (message.BodyCase != ServerMessage.BodyOneofCase.Status)
            {
                return message;
            }
        }
    }

    public async Task<(WebSocketCloseStatus? Status, List<byte[]> Before)> ReceiveCloseAsync()
    {
        var before = new List<byte[]>();
        while (true)
        {
            var (type, payload) = await ReceiveRawAsync();
            if (type == WebSocketMessageType.Close)
            {
                return (Socket.CloseStatus, before);
            }

            before.Add(payload);
        }
    }

    /// <summary>Sends <paramref name="message"/> as one WebSocket message of the subprotocol's frame type.</summary>
    public Task SendAsync(ClientMessage message) => SendRawAsync(Encode(message), IsJson ? WebSocketMessageType.Text : WebSocketMessageType.Binary);

    public async Task SendRawAsync(byte[] payload, WebSocketMessageType type, bool endOfMessage = true)
    {
        using var deadline = Eventually.Deadline();
        await Socket.SendAsync(payload, type, endOfMessage, deadline.Token);
    }

    /// <summary>The bytes of <paramref name="message"/> in this client's subprotocol.</summary>
    public byte[] Encode(ClientMessage message) =>
        IsJson ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message)) : message.ToByteArray();

    /// <summary>Sends a ping and returns the server's pong, checking it echoes <paramref name="clientTimeNs"/>.</summary>
    public async Task<Pong> PingAsync(long clientTimeNs)
    {
        await SendAsync(new ClientMessage { Ping = new Ping { ClientTimeNs = clientTimeNs } });
        var answer = await ReceiveAsync();
        Assert.Equal(ServerMessage.BodyOneofCase.Pong, answer.BodyCase);
        Assert.Equal(clientTimeNs, answer.Pong.ClientTimeNs);
        return answer.Pong;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var deadline = new CancellationTokenSource(s_politeCloseTimeout);
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", deadline.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The test is over and the socket goes away either way; a failed goodbye changes nothing.
        }
        finally
        {
            Socket.Dispose();
        }
    }
}
