namespace PriceFeed.Server.Codecs.Http;

/// <summary>The outcome of <see cref="WebSocketHandshake.Validate"/>: what to put in the 101 answer, or the error to answer.</summary>
internal sealed class WebSocketHandshakeResult
{
    private WebSocketHandshakeResult(
        int status,
        string message,
        string? acceptKey,
        string? subprotocol,
        bool echoSubprotocol,
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders)
    {
        Status = status;
        Message = message;
        AcceptKey = acceptKey;
        Subprotocol = subprotocol;
        EchoSubprotocol = echoSubprotocol;
        ExtraHeaders = extraHeaders;
    }

    /// <summary>Whether the upgrade may proceed.</summary>
    public bool IsSuccess => Status == 101;

    /// <summary>101 on success, else the HTTP status to answer with.</summary>
    public int Status { get; }

    /// <summary>Empty on success, else a sentence for the response body saying what was wrong.</summary>
    public string Message { get; }

    /// <summary>The Sec-WebSocket-Accept value, on success.</summary>
    public string? AcceptKey { get; }

    /// <summary>The subprotocol the connection speaks, on success.</summary>
    public string? Subprotocol { get; }

    /// <summary>Whether the 101 carries Sec-WebSocket-Protocol: only when the client offered the chosen one
    /// (RFC 6455 4.2.2: the server selects one of the values the client sent, or sends none).</summary>
    public bool EchoSubprotocol { get; }

    /// <summary>Header fields to add to an error answer, such as <c>Sec-WebSocket-Version: 13</c> with 426.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders { get; }

    /// <summary>An accepted handshake.</summary>
    public static WebSocketHandshakeResult Success(string acceptKey, string subprotocol, bool echoSubprotocol) =>
        new(101, string.Empty, acceptKey, subprotocol, echoSubprotocol, []);

    /// <summary>A refused handshake.</summary>
    public static WebSocketHandshakeResult Failure(int status, string message, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null) =>
        new(status, message, null, null, false, extraHeaders ?? []);

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"101 {Subprotocol}" : $"{Status} {Message}";
}
