using DotNetty.Buffers;
using DotNetty.Transport.Channels;

namespace PriceFeed.Server.Codecs.WebSockets;

// The frame header: its layout (RFC 6455 5.2) and every check made before a byte of the payload is taken.
internal sealed partial class WebSocketFrameDecoder
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
}
