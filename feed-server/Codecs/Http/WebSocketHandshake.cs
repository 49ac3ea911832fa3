using System.Security.Cryptography;
using System.Text;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.Http;

/// <summary>The server side of the RFC 6455 opening handshake (section 4.2): checks the client's request,
/// negotiates the subprotocol and writes the 101 answer.</summary>
internal static class WebSocketHandshake
{
    /// <summary>RFC 6455 1.3: the GUID appended to the client's key before hashing.</summary>
    public const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>RFC 6455 4.1: the only version this server speaks.</summary>
    public const string SupportedVersion = "13";

    /// <summary>RFC 6455 4.1: the key is a random 16-byte value, base64 encoded (24 characters).</summary>
    private const int KeyBytes = 16;

    private const int EncodedKeyLength = 24;

    /// <summary>The Sec-WebSocket-Accept value for <paramref name="key"/> (RFC 6455 4.2.2, item 5.4):
    /// base64 of the SHA-1 of the key followed by <see cref="KeyGuid"/>.</summary>
    public static string Accept(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];

        // CA5350: SHA-1 is what RFC 6455 prescribes here; it proves the server read the handshake, it protects nothing.
#pragma warning disable CA5350
        SHA1.HashData(Encoding.ASCII.GetBytes(key + KeyGuid), hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>Checks <paramref name="request"/> against RFC 6455 4.2.1 and picks the subprotocol.</summary>
    /// <param name="request">The upgrade request.</param>
    /// <param name="supportedSubprotocols">What we speak, the default first (the application's: the codec knows
    /// no subprotocol of its own).</param>
    /// <remarks>
    /// Subprotocols: the first value the client offers that we support wins, in the client's order of preference.
    /// With none offered, the default is used and no Sec-WebSocket-Protocol is sent back. When the client offers
    /// only ones we do not support, RFC 6455 4.2.2 would let us accept without the header, but the client would
    /// then fail the connection itself (RFC 6455 4.1; browsers do), with no word on why: we answer 400 and name
    /// the subprotocols we support instead.
    /// </remarks>
    public static WebSocketHandshakeResult Validate(HttpRequest request, IReadOnlyList<string> supportedSubprotocols)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(supportedSubprotocols);
        if (supportedSubprotocols.Count == 0)
        {
            throw new ArgumentException("At least one subprotocol must be supported.", nameof(supportedSubprotocols));
        }

        // RFC 6455 4.2.1 item 1: an HTTP/1.1 or higher GET request.
        if (request.Method != "GET")
        {
            return WebSocketHandshakeResult.Failure(405, "The WebSocket handshake is a GET request.", [new("Allow", "GET")]);
        }

        if (request.VersionMinor < 1)
        {
            return WebSocketHandshakeResult.Failure(400, "The WebSocket handshake needs HTTP/1.1.");
        }

        // RFC 6455 4.2.1 items 3 and 4: Upgrade holds "websocket" and Connection holds "Upgrade", case-insensitively.
        if (!request.Headers.ContainsToken("Upgrade", "websocket"))
        {
            return WebSocketHandshakeResult.Failure(400, "Missing 'Upgrade: websocket'.");
        }

        if (!request.Headers.ContainsToken("Connection", "Upgrade"))
        {
            return WebSocketHandshakeResult.Failure(400, "Missing 'Connection: Upgrade'.");
        }

        // RFC 6455 4.2.2 item 4 and 4.4: another version gets an error and the version we do speak.
        var versions = request.Headers.GetAll("Sec-WebSocket-Version");
        if (versions.Count != 1 || versions[0] != SupportedVersion)
        {
            return WebSocketHandshakeResult.Failure(
                426,
                "Only WebSocket version 13 (RFC 6455) is supported.",
                [new("Sec-WebSocket-Version", SupportedVersion)]);
        }

        // RFC 6455 4.2.1 item 5: a key that decodes to exactly 16 bytes.
        var keys = request.Headers.GetAll("Sec-WebSocket-Key");
        if (keys.Count != 1 || !IsValidKey(keys[0]))
        {
            return WebSocketHandshakeResult.Failure(400, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes.");
        }

        // RFC 6455 4.2.1 item 8 and 4.2.2 item 5.4 (/subprotocol/): choose from what the client offered.
        var offered = request.Headers.GetTokens("Sec-WebSocket-Protocol");
        if (offered.Count == 0)
        {
            return WebSocketHandshakeResult.Success(Accept(keys[0]), supportedSubprotocols[0], echoSubprotocol: false);
        }

        foreach (var candidate in offered)
        {
            foreach (var supported in supportedSubprotocols)
            {
                if (string.Equals(candidate, supported, StringComparison.Ordinal))
                {
                    return WebSocketHandshakeResult.Success(Accept(keys[0]), supported, echoSubprotocol: true);
                }
            }
        }

        return WebSocketHandshakeResult.Failure(
            400,
            $"None of the offered subprotocols is supported; supported: {string.Join(", ", supportedSubprotocols)}.");
    }

    /// <summary>Writes the 101 answer of an accepted handshake (RFC 6455 4.2.2 item 5). The caller then swaps
    /// the HTTP handlers for the WebSocket ones before returning from its ChannelRead.</summary>
    public static Task WriteSwitchingProtocolsAsync(IChannelHandlerContext context, WebSocketHandshakeResult result)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        if (!result.IsSuccess)
        {
            throw new ArgumentException($"The handshake failed ({result}); answer it with WriteRejectionAsync.", nameof(result));
        }

        var head = new StringBuilder(192)
            .Append("HTTP/1.1 101 Switching Protocols\r\n")
            .Append("Upgrade: websocket\r\n")
            .Append("Connection: Upgrade\r\n");
        HttpResponses.AppendHeader(head, "Sec-WebSocket-Accept", result.AcceptKey!);
        if (result.EchoSubprotocol)
        {
            HttpResponses.AppendHeader(head, "Sec-WebSocket-Protocol", result.Subprotocol!);
        }

        head.Append("\r\n");
        return HttpResponses.WriteAsync(context, head.ToString(), ReadOnlyMemory<byte>.Empty, keepAlive: true);
    }

    /// <summary>Answers a refused handshake with its status, headers and message, and closes the connection.</summary>
    /// <param name="context">Where to write from.</param>
    /// <param name="result">The failed result of <see cref="Validate"/>.</param>
    /// <param name="headOnly">For a HEAD request: the same headers and no body (RFC 9110 9.3.2).</param>
    public static Task WriteRejectionAsync(IChannelHandlerContext context, WebSocketHandshakeResult result, bool headOnly = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        return HttpResponses.WriteAsync(
            context,
            result.Status,
            "text/plain; charset=utf-8",
            Encoding.UTF8.GetBytes(result.Message + "\n"),
            keepAlive: false,
            headOnly: headOnly,
            extraHeaders: result.ExtraHeaders);
    }

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[KeyBytes + 2];
        return key.Length == EncodedKeyLength
            && Convert.TryFromBase64String(key, decoded, out var written)
            && written == KeyBytes;
    }
}
