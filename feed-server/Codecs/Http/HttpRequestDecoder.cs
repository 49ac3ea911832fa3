using System.Text;
using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.Http;

/// <summary>Decodes HTTP/1.x request heads (RFC 9112) into <see cref="HttpRequest"/> messages; bodies are refused.</summary>
/// <remarks>
/// <para>A resumable state machine over lines: a line is consumed only once its CRLF has arrived, and the search
/// for it resumes where the previous call stopped. Pipelined requests come out one by one, in order.</para>
/// <para>Lines must end with CRLF: a bare LF is answered 400. RFC 9112 2.2 allows either choice; refusing is
/// the safe one when a proxy in front might split lines differently (request smuggling).</para>
/// <para>Errors are answered and the connection closed (<c>Connection: close</c>): a request line over
/// <see cref="HttpDecoderOptions.MaxRequestLineBytes"/> gets 414, a header section over
/// <see cref="HttpDecoderOptions.MaxHeaderBytes"/> or <see cref="HttpDecoderOptions.MaxHeaderCount"/> gets 431,
/// a version other than HTTP/1.x gets 505, a body gets 413 (Content-Length) or 400 (Transfer-Encoding) since
/// no endpoint takes one, anything malformed gets 400. The decoder then ignores every further byte: bad input
/// never throws. Methods are the router's business (405), not the decoder's.</para>
/// <para>For the WebSocket upgrade, the handler that receives the request must take this decoder out of the
/// pipeline during that same <c>ChannelRead</c>: bytes already received after the request (the client's first
/// frames) are then passed to the next handler instead of being read as HTTP. A handler that decides later (the
/// token check is asynchronous) calls <see cref="Suspend"/> during that <c>ChannelRead</c> instead.</para>
/// <para>Runs on the channel's event loop only; one instance per channel.</para>
/// </remarks>
internal sealed class HttpRequestDecoder : ByteToMessageDecoder
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';

    /// <summary>RFC 9112 2.1: CRLF ends every line of the head; alone, it ends the head.</summary>
    private const int CrLfLength = 2;

    private readonly HttpDecoderOptions _options;

    private DecoderState _state;
    private int _searchedBytes;
    private string _method = string.Empty;
    private string _target = string.Empty;
    private int _versionMinor;
    private HttpHeaders _headers = new();
    private int _headerBytes;

    /// <summary>Creates a decoder for one channel.</summary>
    public HttpRequestDecoder(HttpDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    private enum DecoderState
    {
        ReadingRequestLine,
        ReadingHeaders,

        /// <summary>A handler is still answering the last request: later bytes are held, not decoded.</summary>
        Suspended,

        /// <summary>An error was answered: everything after it is ignored.</summary>
        Corrupt,
    }

    /// <summary>Bytes received and not yet decoded (a partial line, or what arrived while suspended).</summary>
    internal int BufferedBytes => InternalBuffer.ReadableBytes;

    /// <summary>Stops decoding after the request just passed on, for a handler that answers it asynchronously and
    /// then either takes this decoder out of the pipeline (the bytes it holds go to the next handler) or closes
    /// the connection. Call from that handler's <c>ChannelRead</c>, on the event loop.</summary>
    /// <remarks>Requests are answered in order: nothing after the suspended request is read as HTTP before the
    /// handler is done with it. What arrives meanwhile is held up to the size of one request head
    /// (<see cref="HttpDecoderOptions.MaxRequestLineBytes"/> plus <see cref="HttpDecoderOptions.MaxHeaderBytes"/>);
    /// a client that sends more before it has its answer is closed.</remarks>
    public void Suspend() => _state = DecoderState.Suspended;

    /// <summary>Decodes requests one at a time, passing each on before reading the next.</summary>
    /// <remarks>DotNetty's base loop decodes everything in the buffer first and passes the messages on only then
    /// (Netty passes each on as it comes). For HTTP that breaks the upgrade: the bytes after an upgrade request
    /// would be read as HTTP (a 400 written before the 101) before the router could take this decoder out or
    /// suspend it. Here the router acts on each request before the next byte is looked at.</remarks>
    protected override void CallDecode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        while (input.IsReadable())
        {
            var before = input.ReadableBytes;
            Decode(context, input, output);
            if (output.Count > 0)
            {
                foreach (var message in output)
                {
                    context.FireChannelRead(message);
                }

                output.Clear();

                // Taken out of the pipeline by the upgrade: the buffer went to the next handler with the rest.
                if (context.Removed)
                {
                    return;
                }

                continue;
            }

            if (context.Removed || input.ReadableBytes == before)
            {
                return;
            }
        }
    }

    /// <inheritdoc/>
    protected override void Decode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        if (_state == DecoderState.Suspended)
        {
            if (input.ReadableBytes > _options.MaxRequestLineBytes + _options.MaxHeaderBytes)
            {
                // No status line can be written here: the answer to the suspended request has not been sent.
                _state = DecoderState.Corrupt;
                input.SkipBytes(input.ReadableBytes);
                context.CloseAsync();
            }

            return;
        }

        while (_state != DecoderState.Corrupt)
        {
            var limit = _state == DecoderState.ReadingRequestLine
                ? _options.MaxRequestLineBytes
                : _options.MaxHeaderBytes - _headerBytes;
            var lineLength = FindLine(input, limit);
            if (lineLength == 0)
            {
                if (input.ReadableBytes < limit)
                {
                    return;
                }

                // The limit is reached without a line end: the line is too long however it ends.
                if (_state == DecoderState.ReadingRequestLine)
                {
                    Fail(context, input, 414, $"Request line longer than {_options.MaxRequestLineBytes} bytes (HttpDecoderOptions.MaxRequestLineBytes).");
                }
                else
                {
                    Fail(context, input, 431, $"Header section longer than {_options.MaxHeaderBytes} bytes (HttpDecoderOptions.MaxHeaderBytes).");
                }

                return;
            }

            // RFC 9112 2.2: a line ends with CRLF; we do not take a bare LF as a line end (see remarks).
            if (lineLength < CrLfLength || input.GetByte(input.ReaderIndex + lineLength - CrLfLength) != CR)
            {
                Fail(context, input, 400, "Lines must end with CRLF.");
                return;
            }

            var line = input.GetIoBuffer(input.ReaderIndex, lineLength - CrLfLength);
            input.SkipBytes(lineLength);
            _searchedBytes = 0;
            if (_state == DecoderState.ReadingRequestLine)
            {
                ReadRequestLine(context, input, line);
            }
            else if (line.Count == 0)
            {
                // One request per call: the handler it goes to may take this decoder out of the pipeline
                // (the WebSocket upgrade), and then the bytes after it are not HTTP.
                CompleteRequest(context, input, output);
                return;
            }
            else
            {
                _headerBytes += lineLength;
                ReadHeaderLine(context, input, line);
            }
        }

        input.SkipBytes(input.ReadableBytes);
    }

    /// <summary>Length of the next line with its LF, or 0 when no LF is in the first <paramref name="limit"/> bytes.</summary>
    private int FindLine(IByteBuffer input, int limit)
    {
        var searchable = Math.Min(input.ReadableBytes, limit);
        if (searchable <= _searchedBytes)
        {
            return 0;
        }

        var from = input.ReaderIndex + _searchedBytes;
        var lf = input.IndexOf(from, input.ReaderIndex + searchable, LF);
        if (lf < 0)
        {
            // Resume the search after what was already searched when more bytes arrive.
            _searchedBytes = searchable;
            return 0;
        }

        return lf - input.ReaderIndex + 1;
    }

    private void ReadRequestLine(IChannelHandlerContext context, IByteBuffer input, ArraySegment<byte> line)
    {
        // RFC 9112 2.2: a server SHOULD ignore at least one empty line received before the request line.
        if (line.Count == 0)
        {
            return;
        }

        switch (HttpRequestParser.ParseRequestLine(line, out _method, out _target, out _versionMinor))
        {
            case HttpParseResult.Ok:
                _state = DecoderState.ReadingHeaders;
                _headers = new HttpHeaders();
                _headerBytes = 0;
                break;
            case HttpParseResult.UnsupportedVersion:
                Fail(context, input, 505, "Only HTTP/1.0 and HTTP/1.1 are supported.");
                break;
            default:
                Fail(context, input, 400, "Malformed request line.");
                break;
        }
    }

    private void ReadHeaderLine(IChannelHandlerContext context, IByteBuffer input, ArraySegment<byte> line)
    {
        switch (HttpRequestParser.ParseHeaderLine(line, out var name, out var value))
        {
            case HttpParseResult.Ok:
                if (_headers.Count >= _options.MaxHeaderCount)
                {
                    Fail(context, input, 431, $"More than {_options.MaxHeaderCount} header fields (HttpDecoderOptions.MaxHeaderCount).");
                    return;
                }

                _headers.Add(name, value);
                break;
            case HttpParseResult.ObsoleteLineFolding:
                Fail(context, input, 400, "Obsolete line folding is not accepted.");
                break;
            default:
                Fail(context, input, 400, "Malformed header field.");
                break;
        }
    }

    private void CompleteRequest(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without exactly one Host field.
        if (_versionMinor >= 1 && _headers.GetAll("Host").Count != 1)
        {
            Fail(context, input, 400, "HTTP/1.1 requires exactly one Host header.");
            return;
        }

        // RFC 9112 6.1/6.3: Transfer-Encoding means a body whose end only its coding tells; we take no bodies,
        // and guessing where it ends would read the body as the next request.
        if (_headers.Get("Transfer-Encoding") is not null)
        {
            Fail(context, input, 400, "Request bodies are not accepted (Transfer-Encoding).");
            return;
        }

        var contentLengths = _headers.GetTokens("Content-Length");
        if (contentLengths.Count > 0)
        {
            // RFC 9112 6.3: an invalid Content-Length, or several that differ, is unrecoverable: 400.
            if (!long.TryParse(contentLengths[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                || contentLengths.Any(value => value != contentLengths[0]))
            {
                Fail(context, input, 400, "Invalid Content-Length.");
                return;
            }

            // RFC 9110 15.5.14: 413 when the content is larger than the server will process; ours is 0 bytes.
            if (length > 0)
            {
                Fail(context, input, 413, "Request bodies are not accepted.");
                return;
            }
        }

        output.Add(new HttpRequest(_method, _target, _versionMinor, _headers));
        _state = DecoderState.ReadingRequestLine;
        _headers = new HttpHeaders();
        _headerBytes = 0;
    }

    private void Fail(IChannelHandlerContext context, IByteBuffer input, int status, string message)
    {
        _state = DecoderState.Corrupt;
        input.SkipBytes(input.ReadableBytes);
        _options.OnError?.Invoke(status);
        HttpResponses.WriteAsync(context, status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(message + "\n"), keepAlive: false);
    }
}
