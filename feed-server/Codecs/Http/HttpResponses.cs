using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.Http;

/// <summary>Writes complete HTTP/1.1 responses (RFC 9112 section 4 and 6) as one pooled buffer.</summary>
internal static class HttpResponses
{
    /// <summary>Writes and flushes a response with a body of known length; closes the channel after it when
    /// <paramref name="keepAlive"/> is false.</summary>
    /// <param name="context">Where to write from: the handler's context, so only handlers before it see the bytes.</param>
    /// <param name="status">The status code.</param>
    /// <param name="contentType">The Content-Type of <paramref name="body"/>; omitted when empty.</param>
    /// <param name="body">The body; its length is the Content-Length.</param>
    /// <param name="keepAlive">Whether the connection stays open (answered as <c>Connection: keep-alive</c> or <c>close</c>).</param>
    /// <param name="headOnly">For HEAD: the same headers, Content-Length included, and no body (RFC 9110 9.3.2).</param>
    /// <param name="extraHeaders">More header fields, written after the standard ones.</param>
    /// <returns>A task that completes once the response is written (and the channel closed when not kept alive).</returns>
    /// <exception cref="ArgumentException">A header name or value holds CR or LF, which would split the response.</exception>
    public static Task WriteAsync(
        IChannelHandlerContext context,
        int status,
        string contentType,
        ReadOnlyMemory<byte> body,
        bool keepAlive,
        bool headOnly = false,
        IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(contentType);

        var head = new StringBuilder(256)
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:R}\r\n");
        if (contentType.Length > 0)
        {
            AppendHeader(head, "Content-Type", contentType);
        }

        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
        if (extraHeaders is not null)
        {
            foreach (var header in extraHeaders)
            {
                AppendHeader(head, header.Key, header.Value);
            }
        }

        head.Append("\r\n");
        return WriteAsync(context, head.ToString(), headOnly ? ReadOnlyMemory<byte>.Empty : body, keepAlive);
    }

    /// <summary>The reason phrase of <paramref name="status"/> (RFC 9110 section 15), empty for unknown codes.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => string.Empty,
    };

    /// <summary>Writes a response head already formatted (ending with the empty line) and a body.</summary>
    internal static Task WriteAsync(IChannelHandlerContext context, string head, ReadOnlyMemory<byte> body, bool keepAlive)
    {
        var buffer = context.Allocator.Buffer(Encoding.Latin1.GetByteCount(head) + body.Length);
        buffer.WriteString(head, Encoding.Latin1);
        if (!body.IsEmpty)
        {
            if (MemoryMarshal.TryGetArray(body, out var segment))
            {
                buffer.WriteBytes(segment.Array, segment.Offset, segment.Count);
            }
            else
            {
                buffer.WriteBytes(body.ToArray());
            }
        }

        var write = context.WriteAndFlushAsync(buffer);
        if (keepAlive)
        {
            return write;
        }

        // RFC 9112 9.6: with "Connection: close" the server closes the connection after sending the response.
        return write.ContinueWith(
            static (_, c) => ((IChannelHandlerContext)c!).CloseAsync(),
            context,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>Appends <c>name: value</c>, refusing CR and LF (RFC 9110 5.5: they would inject header lines).</summary>
    internal static void AppendHeader(StringBuilder head, string name, string value)
    {
        if (name.AsSpan().ContainsAny('\r', '\n') || value.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException($"Header '{name}' holds CR or LF, which would split the response.", nameof(name));
        }

        head.Append(name).Append(": ").Append(value).Append("\r\n");
    }
}
