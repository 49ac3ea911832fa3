using System.Text;
using DotNetty.Buffers;

namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>One WebSocket frame or, coming out of <see cref="WebSocketFrameDecoder"/>, one whole message.</summary>
/// <remarks>Reference-counted through its <see cref="IByteBufferHolder.Content"/>: whoever ends up holding a
/// frame releases it (the encoder does so for frames written to the channel).</remarks>
internal class WebSocketFrame : DefaultByteBufferHolder
{
    /// <summary>Wraps <paramref name="content"/>; the frame takes over the caller's reference.</summary>
    public WebSocketFrame(WebSocketOpcode opcode, bool isFinal, IByteBuffer content)
        : base(content)
    {
        Opcode = opcode;
        IsFinal = isFinal;
    }

    /// <summary>The frame's opcode; never <see cref="WebSocketOpcode.Continuation"/> for a decoded message.</summary>
    public WebSocketOpcode Opcode { get; }

    /// <summary>The FIN bit: the last frame of its message (always true for a decoded message).</summary>
    public bool IsFinal { get; }

    /// <summary>Whether this is a control frame (RFC 6455 5.5: opcodes with the high bit set).</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    /// <summary>A final text frame; <paramref name="content"/> must hold valid UTF-8.</summary>
    public static WebSocketFrame TextFrame(IByteBuffer content) => new(WebSocketOpcode.Text, true, content);

    /// <summary>A final text frame holding <paramref name="text"/> encoded as UTF-8 in a pooled buffer.</summary>
    public static WebSocketFrame TextFrame(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = ByteBufferUtil.DefaultAllocator.HeapBuffer(Encoding.UTF8.GetByteCount(text));
        content.WriteString(text, Encoding.UTF8);
        return TextFrame(content);
    }

    /// <summary>A final binary frame.</summary>
    public static WebSocketFrame BinaryFrame(IByteBuffer content) => new(WebSocketOpcode.Binary, true, content);

    /// <summary>
    /// A final frame whose <paramref name="content"/> has at least <see cref="WebSocketFrameEncoder.MaxHeaderBytes"/>
    /// bytes free before its reader index, which the encoder may overwrite with the frame's header.
    /// </summary>
    public static WebSocketFrame WithHeaderRoom(WebSocketOpcode opcode, IByteBuffer content)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(content.ReaderIndex, WebSocketFrameEncoder.MaxHeaderBytes, nameof(content));
        return new WebSocketFrame(opcode, true, content) { HasHeaderRoom = true };
    }

    /// <summary>Whether the bytes in front of the content are free for the header (<see cref="WithHeaderRoom"/>).</summary>
    public bool HasHeaderRoom { get; private init; }

    /// <summary>A Ping; the payload must not exceed <see cref="WebSocketFrameDecoder.MaxControlPayloadLength"/> bytes.</summary>
    public static WebSocketFrame PingFrame(IByteBuffer content) => new(WebSocketOpcode.Ping, true, content);

    /// <summary>A Pong; the payload must not exceed <see cref="WebSocketFrameDecoder.MaxControlPayloadLength"/> bytes.</summary>
    public static WebSocketFrame PongFrame(IByteBuffer content) => new(WebSocketOpcode.Pong, true, content);

    /// <summary>A Close frame carrying <paramref name="code"/> and <paramref name="reason"/> (cut to fit 125 bytes).</summary>
    public static CloseWebSocketFrame CloseFrame(ushort code, string reason) => new(code, reason);

    /// <inheritdoc/>
    public override IByteBufferHolder Replace(IByteBuffer content) => new WebSocketFrame(Opcode, IsFinal, content);

    /// <inheritdoc/>
    public override string ToString() => $"{Opcode}(fin={IsFinal}, {Content.ReadableBytes} bytes)";
}
