using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>Decodes RFC 6455 frames sent by clients (always masked) into whole messages.</summary>
/// <remarks>
/// <para>A resumable state machine: a frame header is consumed only once all of it has arrived; payload bytes
/// are consumed as they arrive, unmasked in place and, for text, validated, so a bad byte fails the connection
/// at once. Fragments are joined into one pooled buffer: every data message comes out as a single final
/// <see cref="WebSocketOpcode.Text"/> or <see cref="WebSocketOpcode.Binary"/> frame. Control frames come out
/// as they arrive, also between the fragments of a message; Close comes out as <see cref="CloseWebSocketFrame"/>.</para>
/// <para>A violation moves the decoder to a corrupt state that ignores all further input, releases what it
/// holds, reports the code to <see cref="WebSocketDecoderOptions.OnProtocolError"/>, writes a Close frame with
/// that code through the whole pipeline (so the encoder frames it) and closes the channel once the write is done
/// (RFC 6455 7.1.7, "Fail the WebSocket Connection"). Bad input never throws.</para>
/// <para>Runs on the channel's event loop only; one instance per channel.</para>
/// </remarks>
internal sealed class WebSocketFrameDecoder : ByteToMessageDecoder
{
    /// <summary>RFC 6455 5.5: all control frames MUST have a payload length of 125 bytes or less.</summary>
    public const int MaxControlPayloadLength = 125;

    /// <summary>RFC 6455 5.2: a 7-bit length of 126 announces a 16-bit length.</summary>
    private const int Length16Marker = 126;

    /// <summary>RFC 6455 5.2: a 7-bit length of 127 announces a 64-bit length.</summary>
    private const int Length64Marker = 127;

    /// <summary>RFC 6455 5.2: the masking key is 4 bytes.</summary>
    private const int MaskingKeyLength = 4;

    private const byte FinBit = 0x80;
    private const byte RsvBits = 0x70;
    private const byte OpcodeBits = 0x0F;
    private const byte MaskBit = 0x80;
    private const byte PayloadLengthBits = 0x7F;

    private readonly WebSocketDecoderOptions _options;

    private DecoderState _state;

    // The frame being read.
    private WebSocketOpcode _frameOpcode;
    private bool _frameIsFinal;
    private int _payloadRemaining;
    private uint _maskKey;
    private int _maskOffset;
    private IByteBuffer? _controlPayload;

    // The data message being assembled, possibly across fragments; _messageOpcode is Continuation when none is open.
    private WebSocketOpcode _messageOpcode;
    private IByteBuffer? _message;
    private long _messageLength;
    private Utf8Validator _utf8;

    /// <summary>Creates a decoder for one channel.</summary>
    public WebSocketFrameDecoder(WebSocketDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    private enum DecoderState
    {
        ReadingHeader,
        ReadingPayload,

        /// <summary>The peer's Close arrived: RFC 6455 5.5.1 says nothing follows it, so later bytes are ignored.</summary>
        Closed,

        /// <summary>A violation was found: everything after it is ignored.</summary>
        Corrupt,
    }

    /// <summary>Bytes this decoder holds now: a partial frame header, and the message and control payload being
    /// assembled. Bounded by <see cref="WebSocketDecoderOptions.MaxMessageBytes"/> plus a header and a control
    /// payload; the fuzz tests hold it to that.</summary>
    internal long BufferedBytes => InternalBuffer.ReadableBytes + (_message?.ReadableBytes ?? 0) + (_controlPayload?.ReadableBytes ?? 0);

    /// <inheritdoc/>
    protected override void Decode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        while (true)
        {
            switch (_state)
            {
                case DecoderState.ReadingHeader:
                    if (!TryReadHeader(context, input))
                    {
                        return;
                    }

                    break;
                case DecoderState.ReadingPayload:
                    if (!TryReadPayload(context, input, output))
                    {
                        return;
                    }

                    break;
                default:
                    input.SkipBytes(input.ReadableBytes);
                    return;
            }
        }
    }

    /// <inheritdoc/>
    public override void ChannelInactive(IChannelHandlerContext context)
    {
        base.ChannelInactive(context);
        ReleaseHeldBuffers();
    }

    /// <inheritdoc/>
    protected override void HandlerRemovedInternal(IChannelHandlerContext context)
    {
        ReleaseHeldBuffers();
        base.HandlerRemovedInternal(context);
    }

    /// <summary>Reads and checks one frame header; false when more bytes are needed or the frame was refused.</summary>
    private bool TryReadHeader(IChannelHandlerContext context, IByteBuffer input)
    {
        if (input.ReadableBytes < 2)
        {
            return false;
        }

        // Everything but the extended length is in the first two bytes: check it before waiting for more.
        var start = input.ReaderIndex;
        var b0 = input.GetByte(start);
        var b1 = input.GetByte(start + 1);
        var isFinal = (b0 & FinBit) != 0;
        var opcode = (WebSocketOpcode)(b0 & OpcodeBits);
        var length7 = b1 & PayloadLengthBits;

        // RFC 6455 5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated; we negotiate none.
        if ((b0 & RsvBits) != 0)
        {
            return Fail(context, input, WebSocketCloseStatus.ProtocolError, "reserved bits set");
        }

        // RFC 6455 5.2: opcodes 3-7 and B-F are reserved; a recipient MUST fail the connection.
        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
            or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            return Fail(context, input, WebSocketCloseStatus.ProtocolError, "reserved opcode");
        }

        // RFC 6455 5.1: a server MUST close the connection when it receives an unmasked frame.
        if ((b1 & MaskBit) == 0)
        {
            return Fail(context, input, WebSocketCloseStatus.ProtocolError, "client frame not masked");
        }

        var isControl = ((byte)opcode & 0x8) != 0;
        if (isControl)
        {
            // RFC 6455 5.5: control frames MUST NOT be fragmented.
            if (!isFinal)
            {
                return Fail(context, input, WebSocketCloseStatus.ProtocolError, "fragmented control frame");
            }

            // RFC 6455 5.5: control frames MUST have a payload length of 125 bytes or less.
            if (length7 > MaxControlPayloadLength)
            {
                return Fail(context, input, WebSocketCloseStatus.ProtocolError, "control frame too long");
            }
        }
        else if (opcode == WebSocketOpcode.Continuation)
        {
            // RFC 6455 5.4: a continuation frame only continues a message that a Text or Binary frame started.
            if (_messageOpcode == WebSocketOpcode.Continuation)
            {
                return Fail(context, input, WebSocketCloseStatus.ProtocolError, "continuation without a message");
            }
        }
        else if (_messageOpcode != WebSocketOpcode.Continuation)
        {
            // RFC 6455 5.4: fragments of one message MUST NOT be interleaved with another data message.
            return Fail(context, input, WebSocketCloseStatus.ProtocolError, "new message inside a fragmented one");
        }

        var extendedLengthBytes = length7 switch
        {
            Length16Marker => sizeof(ushort),
            Length64Marker => sizeof(ulong),
            _ => 0,
        };
        var headerLength = 2 + extendedLengthBytes + MaskingKeyLength;
        if (input.ReadableBytes < headerLength)
        {
            return false;
        }

        // RFC 6455 5.2: lengths are in network byte order; the minimal encoding is not enforced on receipt.
        var payloadLength = length7 switch
        {
            Length16Marker => input.GetUnsignedShort(start + 2),
            Length64Marker => input.GetLong(start + 2),
            _ => length7,
        };

        // RFC 6455 5.2: the most significant bit of a 64-bit length MUST be 0.
        if (payloadLength < 0)
        {
            return Fail(context, input, WebSocketCloseStatus.ProtocolError, "64-bit length with the top bit set");
        }

        // RFC 6455 10.4: limit what we buffer. Checked from the header, before any of the payload is read;
        // written as a subtraction so a 63-bit length cannot overflow the sum.
        if (!isControl && payloadLength > _options.MaxMessageBytes - _messageLength)
        {
            return Fail(context, input, WebSocketCloseStatus.MessageTooBig, "message too big");
        }

        _maskKey = (uint)input.GetIntLE(start + headerLength - MaskingKeyLength);
        input.SkipBytes(headerLength);

        _frameOpcode = opcode;
        _frameIsFinal = isFinal;
        _payloadRemaining = (int)payloadLength;
        _maskOffset = 0;
        if (isControl)
        {
            _controlPayload = context.Allocator.HeapBuffer(_payloadRemaining);
        }
        else if (opcode == WebSocketOpcode.Continuation)
        {
            _message!.EnsureWritable(_payloadRemaining);
            _messageLength += payloadLength;
        }
        else
        {
            _messageOpcode = opcode;
            _message = context.Allocator.HeapBuffer(_payloadRemaining);
            _messageLength = payloadLength;
            _utf8.Reset();
        }

        _state = DecoderState.ReadingPayload;
        return true;
    }

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

    /// <summary>RFC 6455 7.1.7: fail the connection with <paramref name="code"/>. Always returns false.</summary>
    private bool Fail(IChannelHandlerContext context, IByteBuffer input, ushort code, string reason)
    {
        _state = DecoderState.Corrupt;
        input.SkipBytes(input.ReadableBytes);
        ReleaseHeldBuffers();
        _options.OnProtocolError?.Invoke(code);

        // Through the whole pipeline, so the encoder frames it wherever it sits.
        var channel = context.Channel;
        var closeTimeout = context.Executor.Schedule(static c => ((IChannel)c).CloseAsync(), channel, _options.CloseWriteTimeout);
        channel.WriteAndFlushAsync(WebSocketFrame.CloseFrame(code, reason)).ContinueWith(
            (_, c) =>
            {
                closeTimeout.Cancel();
                ((IChannel)c!).CloseAsync();
            },
            channel,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return false;
    }

    private void ReleaseHeldBuffers()
    {
        _controlPayload?.Release();
        _controlPayload = null;
        _message?.Release();
        _message = null;
        _messageOpcode = WebSocketOpcode.Continuation;
        _messageLength = 0;
    }
}
