using DotNetty.Buffers;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

// The payload: taken as it arrives, unmasked in place, UTF-8 checked for text, fragments joined; then the
// data message or the control frame is completed.
internal sealed partial class WebSocketFrameDecoder
{
    /// <summary>Takes what has arrived of the payload; false when more bytes are needed or the frame was refused.</summary>
    private bool TryReadPayload(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        var isControl = _controlPayload is not null;
        var target = isControl ? _controlPayload! : _message!;
        var count = Math.Min(input.ReadableBytes, _payloadRemaining);
        if (count > 0)
        {
            var offset = target.WriterIndex;
            target.WriteBytes(input, count);
            _payloadRemaining -= count;

            // Heap buffers from the allocator are array-backed: unmask where the bytes now lie.
            var bytes = new Span<byte>(target.Array, target.ArrayOffset + offset, count);
            _maskOffset = WebSocketMasking.Apply(bytes, _maskKey, _maskOffset);

            // RFC 6455 8.1: invalid UTF-8 in a text message fails the connection; check as bytes arrive to fail fast.
            if (!isControl && _messageOpcode == WebSocketOpcode.Text && !_utf8.Advance(bytes))
            {
                return Fail(context, input, WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in text message");
            }
        }

        if (_payloadRemaining > 0)
        {
            return false;
        }

        _state = DecoderState.ReadingHeader;
        if (isControl)
        {
            return CompleteControlFrame(context, input, output);
        }

        if (!_frameIsFinal)
        {
            return true;
        }

        // RFC 6455 8.1: a text message must end on a code point boundary, whatever its fragments.
        if (_messageOpcode == WebSocketOpcode.Text && !_utf8.IsComplete)
        {
            return Fail(context, input, WebSocketCloseStatus.InvalidPayloadData, "text message ends inside a code point");
        }

        output.Add(new WebSocketFrame(_messageOpcode, true, _message!));
        _message = null;
        _messageOpcode = WebSocketOpcode.Continuation;
        _messageLength = 0;
        return true;
    }

    private bool CompleteControlFrame(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        var payload = _controlPayload!;
        if (_frameOpcode == WebSocketOpcode.Close)
        {
            var length = payload.ReadableBytes;

            // RFC 6455 5.5.1: a Close body, if any, starts with a 2-byte status code.
            if (length == 1)
            {
                return Fail(context, input, WebSocketCloseStatus.ProtocolError, "close payload of 1 byte");
            }

            if (length >= 2)
            {
                // RFC 6455 7.4: codes that are reserved or only for reporting MUST NOT appear on the wire.
                if (!WebSocketCloseStatus.IsValidOnWire(payload.GetUnsignedShort(payload.ReaderIndex)))
                {
                    return Fail(context, input, WebSocketCloseStatus.ProtocolError, "invalid close code");
                }

                // RFC 6455 5.5.1: the reason is UTF-8; 8.1 makes invalid UTF-8 a 1007.
                var reason = new ReadOnlySpan<byte>(payload.Array, payload.ArrayOffset + payload.ReaderIndex + 2, length - 2);
                if (!Utf8Validator.IsValid(reason))
                {
                    return Fail(context, input, WebSocketCloseStatus.InvalidPayloadData, "invalid UTF-8 in close reason");
                }
            }

            _controlPayload = null;
            output.Add(new CloseWebSocketFrame(payload));

            // RFC 6455 5.5.1: nothing follows a Close; a message left open will never complete.
            ReleaseHeldBuffers();
            _state = DecoderState.Closed;
            return true;
        }

        _controlPayload = null;
        output.Add(new WebSocketFrame(_frameOpcode, true, payload));
        return true;
    }
}
