namespace PriceFeed.Server.Codecs.Http;

/// <summary>Limits of <see cref="HttpRequestDecoder"/>; a request over a limit is answered with an error and closed.</summary>
/// <param name="MaxRequestLineBytes">Longest request line, CRLF included; longer gets 414. 8 KiB: RFC 9112
/// section 3 recommends supporting request lines of at least 8000 octets (Kestrel's default is 8 KiB as well),
/// and a JWT in <c>?token=</c> is well under 1 KiB.</param>
/// <param name="MaxHeaderBytes">Longest header section, all field lines and the final CRLF; longer gets 431.
/// 16 KiB: a browser's WebSocket handshake with cookies is 1-4 KiB; we serve no cookie-heavy site, so half of
/// Kestrel's 32 KiB default is ample and halves what a slow client can make us hold.</param>
/// <param name="MaxHeaderCount">Most header field lines; more gets 431. 100: Kestrel's default, far above the
/// dozen a browser sends.</param>
/// <param name="OnError">Called with the status of every error answer, for metrics.</param>
internal sealed record HttpDecoderOptions(
    int MaxRequestLineBytes = 8192,
    int MaxHeaderBytes = 16384,
    int MaxHeaderCount = 100,
    Action<int>? OnError = null)
{
    /// <summary>Throws with the name of the setting to change when a value is out of range.</summary>
    public HttpDecoderOptions Validate()
    {
        if (MaxRequestLineBytes < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRequestLineBytes), MaxRequestLineBytes, "HttpDecoderOptions.MaxRequestLineBytes must be at least 16 (\"GET / HTTP/1.1\\r\\n\").");
        }

        if (MaxHeaderBytes < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxHeaderBytes), MaxHeaderBytes, "HttpDecoderOptions.MaxHeaderBytes must be at least 2 (the empty line).");
        }

        if (MaxHeaderCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxHeaderCount), MaxHeaderCount, "HttpDecoderOptions.MaxHeaderCount must be at least 1 (Host).");
        }

        return this;
    }
}
