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
/// <para>Runs on the channel's event loop only; one instance per channel. One type in three files: this one
/// holds the state machine, its state and the failure path; <c>WebSocketFrameDecoder.Header.cs</c> reads and
/// checks a frame header (the RFC 6455 5.2 layout); <c>WebSocketFrameDecoder.Payload.cs</c> takes the payload
/// (unmasking, UTF-8, fragments) and completes data and control frames.</para>
/// </remarks>
internal sealed partial class WebSocketFrameDecoder : ByteToMessageDecoder
{
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
