using System.Diagnostics;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

// Slow consumers (docs/protocol.md, "Slow-consumer warning"): a drain that could not send everything starts the
// grace; the client is warned with slow_consumer when its queue passes half its bound or when half the grace has
// passed, told when it caught up (cleared), and closed with 4001 only if it is still behind when the grace ends, at
// least half the grace after its warning.
internal sealed partial class ClientSession
{
    private long _closeDue; // event loop; Stopwatch ticks when 4001 is due, set by the warning

    /// <summary>True while a <c>slow_consumer</c> warning is out and not cleared. Event loop.</summary>
    public bool Warned => _warned;

    /// <summary>At the end of a drain: <paramref name="complete"/> when it sent everything pending. Event loop.</summary>
    private void AfterDrain(bool complete, long now)
    {
        if (complete)
        {
            _laggingSince = 0;
            if (_warned)
            {
                _warned = false;
                SendSlowConsumer(new SlowConsumer { Cleared = true, Limit = (uint)_fifo.Capacity }, "cleared");
            }

            return;
        }

        if (_laggingSince == 0)
        {
            _laggingSince = now;
            ScheduleLagCheck(TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs / 2.0));
        }

        // Behind and the socket full: a queue past half its bound is worth a warning before half the grace is out.
        if (!_warned && _fifo.Count * 2 > _fifo.Capacity)
        {
            Warn();
        }
    }

    private void ScheduleLagCheck(TimeSpan delay)
    {
        _lagTimer?.Cancel();
        _lagTimer = _context.Executor.Schedule(static s => ((ClientSession)s).CheckLagging(), this, delay);
    }

    private void CheckLagging()
    {
        _lagTimer = null;
        if (_closed || _laggingSince == 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (!_warned)
        {
            if (Stopwatch.GetElapsedTime(_laggingSince, now).TotalMilliseconds < _fanout.SlowConsumerGraceMs / 2.0)
            {
                ScheduleLagCheck(TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs / 2.0) - Stopwatch.GetElapsedTime(_laggingSince, now));
                return;
            }

            // Also when this timer ran late: the warning always comes at least half the grace before the close.
            Warn();
        }

        if (now < _closeDue)
        {
            ScheduleLagCheck(Stopwatch.GetElapsedTime(now, _closeDue));
            return;
        }

        // docs/protocol.md, "Slow consumers and policies": a client over its bound for longer than the grace is closed
        // with 4001, warned at least half the grace before.
        _fanout.Metrics.SlowConsumerCloses.Inc();
        _fanout.Metrics.Closes.WithLabels("4001").Inc();
        WebSocketProtocolHandler.InitiateClose(_context.Channel, FeedCloseStatus.SlowConsumer, "slow consumer");
        Close();
    }

    /// <summary>Warns the client; 4001 is then due at the end of the grace, and never sooner than half the grace from now.</summary>
    private void Warn()
    {
        _warned = true;
        var now = Stopwatch.GetTimestamp();
        var grace = (long)(_fanout.SlowConsumerGraceMs * Stopwatch.Frequency / 1000.0);
        _closeDue = Math.Max(_laggingSince + grace, now + (grace / 2));
        var closeIn = Stopwatch.GetElapsedTime(now, _closeDue).TotalMilliseconds;
        SendSlowConsumer(
            new SlowConsumer { Queued = (uint)_fifo.Count, Limit = (uint)_fifo.Capacity, CloseInMs = (uint)Math.Ceiling(closeIn) },
            "warned");
    }

    private void SendSlowConsumer(SlowConsumer warning, string kind)
    {
        _fanout.Metrics.SlowConsumerWarnings.WithLabels(kind).Inc();
        SendControl?.Invoke(new ServerMessage { SlowConsumer = warning });
    }
}
