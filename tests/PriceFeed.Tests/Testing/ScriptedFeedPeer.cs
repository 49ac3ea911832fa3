using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Google.Protobuf;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Testing;

/// <summary>A WebSocket endpoint on 127.0.0.1 whose side of the conversation the test writes message by message,
/// for client behaviour no real server can be made to show on cue (a hello naming a chosen epoch, a chosen
/// <c>recovered</c> list). Speaks <c>pricefeed.v1.proto</c> over real sockets (<see cref="HttpListener"/>).</summary>
/// <remarks>Each accepted connection is handed to the test through <see cref="AcceptAsync"/>, in order.</remarks>
internal sealed class ScriptedFeedPeer : IAsyncDisposable
{
    private const string Subprotocol = "pricefeed.v1.proto";

    private readonly HttpListener _listener = new();
    private readonly Channel<Connection> _accepted = Channel.CreateUnbounded<Connection>();
    private readonly Task _accepting;

    private ScriptedFeedPeer(int port)
    {
        WsUri = new Uri($"ws://127.0.0.1:{port}/ws");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/ws/");
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public Uri WsUri { get; }

    public static ScriptedFeedPeer Start() => new(ServerProcess.FreePort());

    /// <summary>The next connection a client opened; fails the test after <see cref="Eventually.DefaultTimeout"/>.</summary>
    public Task<Connection> AcceptAsync() => Eventually.WithinAsync(_accepted.Reader.ReadAsync().AsTask(), "the client to connect");

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
            // Stopped, as asked.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var webSocket = await context.AcceptWebSocketAsync(Subprotocol);
            await _accepted.Writer.WriteAsync(new Connection(webSocket.WebSocket));
        }
    }

    /// <summary>One client connection, from the server's side.</summary>
    internal sealed class Connection(WebSocket socket)
    {
        private readonly byte[] _buffer = new byte[1 << 20];

        public Task SendAsync(ServerMessage message) =>
            socket.SendAsync(message.ToByteArray(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

        /// <summary>The next message the client sent; pings are skipped.</summary>
        public async Task<ClientMessage> ReceiveAsync()
        {
            using var deadline = Eventually.Deadline();
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(_buffer.AsMemory(length), deadline.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
                var message = ClientMessage.Parser.ParseFrom(_buffer, 0, length);
                if (message.BodyCase != ClientMessage.BodyOneofCase.Ping)
                {
                    return message;
                }
            }
        }

        /// <summary>Closes with 1001 (going away), which the client answers by reconnecting.</summary>
        public async Task GoAwayAsync()
        {
            using var deadline = Eventually.Deadline();
            await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "restart", deadline.Token);
            socket.Abort();
        }
    }
}
