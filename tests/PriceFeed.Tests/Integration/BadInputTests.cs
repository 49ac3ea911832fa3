using System.Text;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;
using PriceFeed.Tests.Codecs.WebSockets;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Integration;

/// <summary>Malformed input over raw TCP, each answered with its exact HTTP status or close code, while a
/// well-behaved client on the same server keeps talking: bad peers must not crash or stall the server.</summary>
public sealed class BadInputTests
{
    private static readonly BadInput[] s_inputs =
    [
        // Before any upgrade: the HTTP decoder and the handshake.
        BadInput.Http("garbage instead of HTTP", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, .. " not http\r\n\r\n"u8], 400),
        BadInput.Http("request line without a version", "GET /\r\nHost: 127.0.0.1\r\n\r\n", 400),
        BadInput.Http("request line with two spaces", "GET  / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        BadInput.Http("lines ending in a bare LF", "GET / HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
        BadInput.Http("HTTP/2.0 in the request line", "GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
        BadInput.Http("header without colon", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n", 400),
        BadInput.Http("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        BadInput.Http("a request body", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello", 413),
        BadInput.Http("upgrade with version 8", RawConnection.UpgradeRequest("dGhlIHNhbXBsZSBub25jZQ==", version: "8"), 426, ("Sec-WebSocket-Version", "13")),
        BadInput.Http("upgrade without version", RawConnection.UpgradeRequest("dGhlIHNhbXBsZSBub25jZQ==", version: null), 426, ("Sec-WebSocket-Version", "13")),
        BadInput.Http("upgrade without key", RawConnection.UpgradeRequest(key: null), 400),
        BadInput.Http("upgrade with a key of 15 bytes", RawConnection.UpgradeRequest("AAAAAAAAAAAAAAAAAAAA"), 400),
        BadInput.Http("upgrade offering only unknown subprotocols", RawConnection.UpgradeRequest("dGhlIHNhbXBsZSBub25jZQ==", subprotocol: "chat.v2"), 400),

        // After a good handshake: the frame decoder and the protocol handler.
        BadInput.Frame("unmasked frame", ClientFrames.Raw(0x82, [0x1A, 0x00], masked: false), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("reserved data opcode 0x3", ClientFrames.Raw(0x83, [1, 2, 3], masked: true), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("reserved control opcode 0xB", ClientFrames.Raw(0x8B, [], masked: true), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("RSV1 bit without an extension", ClientFrames.Raw(0xC2, [0x1A, 0x00], masked: true), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("RSV3 bit without an extension", ClientFrames.Raw(0x92, [0x1A, 0x00], masked: true), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("64-bit length with the top bit set", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, .. ClientFrames.MaskKey], WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("fragmented ping", ClientFrames.Frame(WebSocketOpcode.Ping, "hi"u8, fin: false), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("ping of 126 bytes", ClientFrames.Frame(WebSocketOpcode.Ping, new byte[126]), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("continuation without a message", ClientFrames.Frame(WebSocketOpcode.Continuation, [1]), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame(
            "new message inside a fragmented one",
            [.. ClientFrames.Frame(WebSocketOpcode.Binary, [0x1A], fin: false), .. ClientFrames.Frame(WebSocketOpcode.Binary, [0x00])],
            WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("invalid UTF-8 text on the JSON subprotocol", ClientFrames.Frame(WebSocketOpcode.Text, [(byte)'{', 0xC3, 0x28, (byte)'}']), WebSocketCloseStatus.InvalidPayloadData, FeedSubprotocols.JsonV1),
        BadInput.Frame("text ending inside a code point", ClientFrames.Frame(WebSocketOpcode.Text, [(byte)'"', 0xE2, 0x82]), WebSocketCloseStatus.InvalidPayloadData, FeedSubprotocols.JsonV1),
        BadInput.Frame("close with reserved code 1005", ClientFrames.Close(1005, []), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("close with code 999", ClientFrames.Close(999, []), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("close with code 2000", ClientFrames.Close(2000, "why"u8), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("close with a 1-byte payload", ClientFrames.Frame(WebSocketOpcode.Close, [0x03]), WebSocketCloseStatus.ProtocolError),
        BadInput.Frame("close with an invalid UTF-8 reason", ClientFrames.Close(1000, [0xFF, 0xFE]), WebSocketCloseStatus.InvalidPayloadData),
    ];

    public static TheoryData<string> InputNames => [.. s_inputs.Select(i => i.Name)];

    [Theory]
    [MemberData(nameof(InputNames))]
    public async Task MalformedInputGetsItsExactStatusOrCloseCode(string name)
    {
        await using var server = await TestServer.StartAsync();

        await s_inputs.Single(i => i.Name == name).CheckAsync(server.Port);
    }

    [Fact]
    public async Task WellBehavedClientKeepsPingingThroughoutAndAfterTheWholeSuite()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await FeedClient.ConnectAsync(server.WsUri);
        await client.ReadHelloAsync();

        // The good client pings in a loop, concurrently with every bad input below, at a pace within the
        // server's control-message rate limit (a well-behaved client respects it).
        using var stop = new CancellationTokenSource();
        var pongs = 0;
        var pinger = Task.Run(async () =>
        {
            for (long n = 1; !stop.IsCancellationRequested; n++)
            {
                await client.PingAsync(n);
                Interlocked.Increment(ref pongs);
                await Task.Delay(25);
            }
        });

        var failures = new List<string>();
        foreach (var input in s_inputs.Concat(s_inputs))
        {
            try
            {
                await input.CheckAsync(server.Port);
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException or IOException)
            {
                failures.Add($"{input.Name}: {ex.Message}");
            }

            Assert.False(pinger.IsFaulted, $"the good client failed during '{input.Name}': {pinger.Exception}");
        }

        var pongsDuringSuite = Volatile.Read(ref pongs);
        await stop.CancelAsync();
        await Eventually.WithinAsync(pinger.ContinueWith(t => t), "the good client's last ping");
        await pinger;

        Assert.Empty(failures);
        Assert.True(pongsDuringSuite > 0, "the good client got no pong while the bad inputs ran");

        // Afterwards the server still answers both the good client and new connections.
        await client.PingAsync(-1);
        using var health = await server.HttpClient.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        await using var late = await FeedClient.ConnectAsync(server.WsUri);
        await late.ReadHelloAsync();
        await late.PingAsync(7);
        await Eventually.UntilAsync(() => server.Server.Connections.Open == 2, "only the two good clients remain connected");
    }

    /// <summary>One malformed input and the exact answer it must get.</summary>
    private sealed record BadInput(string Name, byte[] Bytes, int? Status, (string Name, string Value)? Header, ushort? CloseCode, string? Subprotocol)
    {
        public static BadInput Http(string name, string request, int status, (string, string)? header = null) =>
            new(name, Encoding.ASCII.GetBytes(request), status, header, null, null);

        public static BadInput Http(string name, byte[] request, int status) => new(name, request, status, null, null, null);

        /// <summary>Frames sent after a good handshake (on the proto subprotocol unless given).</summary>
        public static BadInput Frame(string name, byte[] frames, ushort closeCode, string subprotocol = FeedSubprotocols.ProtoV1) =>
            new(name, frames, null, null, closeCode, subprotocol);

        public async Task CheckAsync(int port)
        {
            if (CloseCode is { } expectedCode)
            {
                using var connection = await RawConnection.UpgradeAsync(port, Subprotocol);
                await connection.SendAsync(Bytes);
                Assert.Equal(expectedCode, await connection.ReadCloseCodeAsync());

                // RFC 6455 7.1.7: after failing the connection the server closes TCP without waiting for us.
                await connection.ReadToEndAsync();
                return;
            }

            using (var connection = await RawConnection.ConnectAsync(port))
            {
                await connection.SendAsync(Bytes);
                var response = await connection.ReadResponseAsync();
                Assert.Equal(Status, response.Status);
                Assert.Equal("close", response.Header("Connection"));
                if (Header is var (headerName, headerValue))
                {
                    Assert.Equal(headerValue, response.Header(headerName));
                }

                Assert.Empty(await connection.ReadToEndAsync());
            }
        }
    }
}
