namespace PriceFeed.Server.Codecs.Http;

/// <summary>What <see cref="HttpRequestParser"/> made of one line: it reports errors as values, never by throwing.</summary>
internal enum HttpParseResult
{
    /// <summary>The line is well formed.</summary>
    Ok,

    /// <summary>The line breaks the RFC 9112 grammar: answer 400.</summary>
    Malformed,

    /// <summary>A well-formed version other than HTTP/1.x: answer 505 (RFC 9110 15.6.6).</summary>
    UnsupportedVersion,

    /// <summary>A header line starting with whitespace, the obsolete line folding: answer 400 (RFC 9112 5.2).</summary>
    ObsoleteLineFolding,
}
