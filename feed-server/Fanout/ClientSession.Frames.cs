using DotNetty.Buffers;
using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Fanout;

// Frame building: entries already encoded are copied into a pooled buffer, sealed by the session's
// QuoteFrameFormat and written; one flush per drain.
internal sealed partial class ClientSession
{
    /// <summary>64 KiB: a frame of about 600 quotes; bigger frames only delay the first quote in them.</summary>
    public const int MaxFrameBytes = 64 * 1024;

    private const int InitialFrameBytes = 4 * 1024;

    private IByteBuffer NewFrame()
    {
        var frame = _context.Allocator.Buffer(InitialFrameBytes);
        frame.SetWriterIndex(_format.HeaderReserve);
        return frame;
    }

    /// <summary>Writes the message around the frame's entries (<see cref="QuoteFrameFormat.Seal"/>) and sends it.</summary>
    private void Emit(IByteBuffer frame, QuoteFrameKind kind, bool flush)
    {
        // Stamped once per message, as it is built: the client can tell the server's queueing from the network.
        var message = _format.Seal(frame, kind, UnixClock.NowNs());
        _frames++;
        _fanout.Metrics.FramesOut.Inc();
        if (flush)
        {
            _context.WriteAndFlushAsync(message);
        }
        else
        {
            _context.WriteAsync(message);
        }
    }

    /// <summary>Builds frames during one drain: starts one on demand, emits it at the size limit, flushes once at the end.</summary>
    private struct FrameWriter
    {
        private readonly ClientSession _session;
        private readonly QuoteFrameKind _kind;
        private readonly bool _oneMessage;
        private IByteBuffer? _frame;
        private long _oldestPublishNs;
        private bool _wrote;

        /// <param name="kind"><see cref="QuoteFrameKind.Quotes"/> or <see cref="QuoteFrameKind.Bars"/>.</param>
        /// <param name="oneMessage">True: never start a second message at <see cref="MaxFrameBytes"/> (a history is one message).</param>
        public FrameWriter(ClientSession session, QuoteFrameKind kind = QuoteFrameKind.Quotes, bool oneMessage = false)
        {
            _session = session;
            _kind = kind;
            _oneMessage = oneMessage;
        }

        /// <summary>The frame being filled, started if needed, with room for one more entry.</summary>
        public IByteBuffer Frame
        {
            get
            {
                if (_frame is not null && _frame.WriterIndex >= MaxFrameBytes && !_oneMessage)
                {
                    EmitCurrent();
                }

                return _frame ??= _session.NewFrame();
            }
        }

        /// <summary>False once the channel stopped being writable: leave the rest in the queues.</summary>
        public readonly bool CanWrite => _session._context.Channel.IsWritable;

        public void Added(long publishTimeNs)
        {
            if (_oldestPublishNs == 0)
            {
                _oldestPublishNs = publishTimeNs;
            }

            _session._delivered++;
        }

        /// <summary>A bar went into the frame.</summary>
        public readonly void AddedBar() => _session._barsDelivered++;

        /// <summary>As <see cref="Finish"/>, but emits the message also when it holds no entry (a history with no bars).</summary>
        public void FinishAlways()
        {
            _ = Frame;
            _wrote = true;
            EmitCurrent();
            _session._context.Flush();
        }

        public void Finish()
        {
            if (_frame is not null && _frame.WriterIndex > _session._format.HeaderReserve)
            {
                EmitCurrent();
            }
            else
            {
                ReleaseUnsent();
            }

            if (_wrote)
            {
                _session._context.Flush();
            }
        }

        /// <summary>Releases the frame being filled if it was not handed to the channel (something threw mid-drain).</summary>
        public void ReleaseUnsent()
        {
            _frame?.Release();
            _frame = null;
        }

        private void EmitCurrent()
        {
            if (_kind == QuoteFrameKind.Quotes)
            {
                _session._fanout.Metrics.ObservePublishToWrite(_oldestPublishNs);
            }

            // The channel owns the frame from here, even if the write fails.
            var frame = _frame!;
            _frame = null;
            _oldestPublishNs = 0;
            _wrote = true;
            _session.Emit(frame, _kind, flush: false);
        }
    }
}
