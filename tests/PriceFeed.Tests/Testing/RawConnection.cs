using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using PriceFeed.Server.Codecs.Http;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Tests.Testing;

/// <summary>One raw TCP connection to a server, speaking HTTP/1.1 and RFC 6455 frames byte by byte, so the
/// tests can send what no well-behaved client library would and read exactly what the server answers.</summary>
/// <remarks>Every read has a timeout (<see cref="Eventually.DefaultTimeout"/>); a reset by the server counts as
/// the end of the stream, since a server that closes with unread input resets the connection.</remarks>
internal sealed class RawConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var deadline = Eventually.Deadline();
            await client.ConnectAsync("127.0.0.1", port, deadline.Token);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return new RawConnection(client);
    }

    /// <summary>Connects and completes a WebSocket handshake (offering <paramref name="subprotocol"/> if given),
    /// then reads the server's first message, <c>hello</c>, and returns the connection ready for frames.</summary>
    public static async Task<RawConnection> UpgradeAsync(int port, string? subprotocol = null)
    {
        var connection = await ConnectAsync(port);
        try
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await connection.SendAsync(UpgradeRequest(key, subprotocol: subprotocol));
            var response = await connection.ReadResponseAsync(headOnly: true);
            Assert.Equal(101, response.Status);
            Assert.Equal(WebSocketHandshake.Accept(key), response.Header("Sec-WebSocket-Accept"));
            var hello = await connection.ReadFrameAsync();
            Assert.Equal(subprotocol == FeedSubprotocols.JsonV1 ? WebSocketOpcode.Text : WebSocketOpcode.Binary, hello.Opcode);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>An upgrade request for <c>/ws</c>; pass null to leave a header out.</summary>
    public static string UpgradeRequest(string? key, string? version = "13", string? subprotocol = null)
    {
        var request = new StringBuilder()
            .Append("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        if (key is not null)
        {
            request.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        }

        if (version is not null)
        {
            request.Append("Sec-WebSocket-Version: ").Append(version).Append("\r\n");
        }

        if (subprotocol is not null)
        {
            request.Append("Sec-WebSocket-Protocol: ").Append(subprotocol).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var deadline = Eventually.Deadline();
        await _stream.WriteAsync(bytes, deadline.Token);
    }

    /// <summary>Reads one HTTP response: its head and, unless <paramref name="headOnly"/>, a body of Content-Length bytes.</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(bool headOnly = false)
    {
        var headEnd = await FillUntilAsync("\r\n\r\n"u8.ToArray());
        var head = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start);
        _start = headEnd + 4;

        var lines = head.Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        Assert.True(statusParts.Length >= 2 && statusParts[0] == "HTTP/1.1", $"not an HTTP/1.1 status line: '{lines[0]}'");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var response = new RawHttpResponse(int.Parse(statusParts[1], System.Globalization.CultureInfo.InvariantCulture), headers, []);
        var length = response.Header("Content-Length");
        if (headOnly || length is null)
        {
            return response;
        }

        var body = await ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture));
        return response with { Body = body };
    }

    /// <summary>Reads one server frame, which RFC 6455 5.1 says is never masked.</summary>
    public async Task<ServerFrame> ReadFrameAsync() =>
        await ReadFrameOrEndAsync() ?? throw new Xunit.Sdk.XunitException("The server closed the connection where a frame was expected.");

    /// <summary>Reads one server frame, or null when the server closed the connection before one began.</summary>
    public async Task<ServerFrame?> ReadFrameOrEndAsync()
    {
        if (!await FillAsync(2))
        {
            return null;
        }

        var b0 = _buffer[_start];
        var b1 = _buffer[_start + 1];
        Assert.True((b1 & 0x80) == 0, "RFC 6455 5.1: a server MUST NOT mask the frames it sends.");
        var headerLength = (b1 & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 };
        await ReadExactlyAsync(0, minimumBuffered: headerLength);
        long length = (b1 & 0x7F) switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2)),
            127 => BinaryPrimitives.ReadInt64BigEndian(_buffer.AsSpan(_start + 2)),
            var small => small,
        };
        _start += headerLength;
        var payload = await ReadExactlyAsync(checked((int)length));
        return new ServerFrame((b0 & 0x80) != 0, (WebSocketOpcode)(b0 & 0x0F), payload);
    }

    /// <summary>Reads frames until the server's Close, skipping others (pings, the odd message), and returns its code.</summary>
    public async Task<ushort?> ReadCloseCodeAsync()
    {
        while (true)
        {
            var frame = await ReadFrameOrEndAsync();
            Assert.True(frame is not null, "The server closed the connection without sending a Close frame.");
            if (frame.Opcode == WebSocketOpcode.Close)
            {
                return frame.CloseCode;
            }
        }
    }

    /// <summary>Reads until the server closes the connection and returns the bytes that came before; fails on timeout.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var rest = new MemoryStream();
        rest.Write(_buffer, _start, _end - _start);
        _start = _end;
        using var deadline = Eventually.Deadline();
        var chunk = new byte[4096];
        while (true)
        {
            var read = await ReadSocketAsync(chunk, deadline.Token);
            if (read == 0)
            {
                return rest.ToArray();
            }

            rest.Write(chunk, 0, read);
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<byte[]> ReadExactlyAsync(int count, int minimumBuffered = 0)
    {
        var needed = Math.Max(count, minimumBuffered);
        if (!await FillAsync(needed))
        {
            throw new Xunit.Sdk.XunitException($"The server closed the connection with {_end - _start} of {needed} expected bytes.");
        }

        var bytes = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return bytes;
    }

    /// <summary>Reads until <paramref name="count"/> bytes are buffered; false if the server closed first.</summary>
    private async Task<bool> FillAsync(int count)
    {
        if (count > _buffer.Length)
        {
            throw new InvalidOperationException($"Cannot buffer {count} bytes; this helper holds {_buffer.Length}.");
        }

        using var deadline = Eventually.Deadline();
        while (_end - _start < count)
        {
            Compact();
            var read = await ReadSocketAsync(_buffer.AsMemory(_end), deadline.Token);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>Reads until <paramref name="marker"/> is buffered and returns its index in the buffer.</summary>
    private async Task<int> FillUntilAsync(byte[] marker)
    {
        using var deadline = Eventually.Deadline();
        while (true)
        {
            var index = _buffer.AsSpan(_start, _end - _start).IndexOf(marker);
            if (index >= 0)
            {
                return _start + index;
            }

            Compact();
            var read = await ReadSocketAsync(_buffer.AsMemory(_end), deadline.Token);
            if (read == 0)
            {
                throw new Xunit.Sdk.XunitException(
                    $"The server closed the connection before a complete response head; got '{Encoding.Latin1.GetString(_buffer, _start, _end - _start)}'.");
            }

            _end += read;
        }
    }

    private async Task<int> ReadSocketAsync(Memory<byte> into, CancellationToken cancellation)
    {
        try
        {
            return await _stream.ReadAsync(into, cancellation);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out after {Eventually.DefaultTimeout.TotalSeconds} s waiting for the server to send or close.");
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return 0;
        }
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
    }
}

/// <summary>An HTTP response as read off the wire.</summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>A frame as the server sent it.</summary>
internal sealed record ServerFrame(bool Fin, WebSocketOpcode Opcode, byte[] Payload)
{
    /// <summary>The status code of a Close frame (RFC 6455 5.5.1: the first two payload bytes), null without one.</summary>
    public ushort? CloseCode => Opcode == WebSocketOpcode.Close && Payload.Length >= 2
        ? BinaryPrimitives.ReadUInt16BigEndian(Payload)
        : null;
}
