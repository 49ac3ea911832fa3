using System.Buffers;
using System.Text;

namespace PriceFeed.Server.Codecs.Http;

/// <summary>Parses the request line and the field lines of an HTTP/1.1 request head (RFC 9112 sections 3 and 5),
/// one line at a time, without its CRLF; returns an <see cref="HttpParseResult"/> instead of throwing.</summary>
internal static class HttpRequestParser
{
    /// <summary>RFC 9110 5.6.2: tchar, the characters of a token (methods, field names).</summary>
    private static readonly SearchValues<byte> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>"HTTP/" followed by DIGIT "." DIGIT (RFC 9112 2.3).</summary>
    private static ReadOnlySpan<byte> HttpVersionPrefix => "HTTP/"u8;

    /// <summary>Parses <c>method SP request-target SP HTTP-version</c> (RFC 9112 3).</summary>
    public static HttpParseResult ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out int versionMinor)
    {
        method = string.Empty;
        target = string.Empty;
        versionMinor = 0;

        // RFC 9112 3: exactly one SP between the three parts; a method is a token.
        var firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0 || line[..firstSpace].ContainsAnyExcept(s_tokenChars))
        {
            return HttpParseResult.Malformed;
        }

        var rest = line[(firstSpace + 1)..];
        var secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0)
        {
            return HttpParseResult.Malformed;
        }

        // RFC 9112 3.2: the request-target has no whitespace; we take any visible ASCII and let the router judge it.
        var rawTarget = rest[..secondSpace];
        if (rawTarget.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E))
        {
            return HttpParseResult.Malformed;
        }

        var version = rest[(secondSpace + 1)..];
        if (version.Length != HttpVersionPrefix.Length + 3
            || !version.StartsWith(HttpVersionPrefix)
            || !char.IsAsciiDigit((char)version[5])
            || version[6] != (byte)'.'
            || !char.IsAsciiDigit((char)version[7]))
        {
            return HttpParseResult.Malformed;
        }

        if (version[5] != (byte)'1')
        {
            return HttpParseResult.UnsupportedVersion;
        }

        method = Encoding.ASCII.GetString(line[..firstSpace]);
        target = Encoding.ASCII.GetString(rawTarget);

        // RFC 9110 2.5: a higher minor version is understood as the highest we support, 1.1.
        versionMinor = version[7] == (byte)'0' ? 0 : 1;
        return HttpParseResult.Ok;
    }

    /// <summary>Parses <c>field-name ":" OWS field-value OWS</c> (RFC 9112 5).</summary>
    public static HttpParseResult ParseHeaderLine(ReadOnlySpan<byte> line, out string name, out string value)
    {
        name = string.Empty;
        value = string.Empty;

        // RFC 9112 5.2: a server MUST reject obs-fold (a line starting with whitespace) or replace it; we reject.
        if (line.Length > 0 && line[0] is (byte)' ' or (byte)'\t')
        {
            return HttpParseResult.ObsoleteLineFolding;
        }

        // RFC 9112 5.1: no whitespace is allowed between the field name and the colon; a name is a token.
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].ContainsAnyExcept(s_tokenChars))
        {
            return HttpParseResult.Malformed;
        }

        // RFC 9110 5.5: a value is VCHAR, obs-text, SP and HTAB; CR, LF, NUL and other controls are refused.
        var rawValue = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in rawValue)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return HttpParseResult.Malformed;
            }
        }

        name = Encoding.ASCII.GetString(line[..colon]);
        value = Encoding.Latin1.GetString(rawValue);
        return HttpParseResult.Ok;
    }
}
