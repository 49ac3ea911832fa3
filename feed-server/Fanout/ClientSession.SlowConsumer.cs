using System.Diagnostics;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Wire;

namespace PriceFeed.Server.Fanout;

// Slow-consumer detection: a drain that could not send everything starts the grace; a client still
// behind when it ends is closed with 4001.
internal sealed partial class ClientSession
{
    private void StartLagging(long now)
    {
        if (_laggingSince != 0)
        {
            return;
        }

        _laggingSince = now;
        _lagTimer?.Cancel();
        _lagTimer = _context.Executor.Schedule(
            static s => ((ClientSession)s).CheckLagging(), this, TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs));
    }

    private void CheckLagging()
    {
        _lagTimer = null;
        if (_closed || _laggingSince == 0)
        {
            return;
        }

        var lagging = Stopwatch.GetElapsedTime(_laggingSince);
        if (lagging.TotalMilliseconds >= _fanout.SlowConsumerGraceMs)
        {
            // docs/protocol.md, "Slow consumers and policies": a client over its bound for longer than the grace is closed with 4001.
            _fanout.Metrics.SlowConsumerCloses.Inc();
            _fanout.Metrics.Closes.WithLabels("4001").Inc();
            WebSocketProtocolHandler.InitiateClose(_context.Channel, FeedCloseStatus.SlowConsumer, "slow consumer");
            Close();
            return;
        }

        _lagTimer = _context.Executor.Schedule(
            static s => ((ClientSession)s).CheckLagging(), this, TimeSpan.FromMilliseconds(_fanout.SlowConsumerGraceMs) - lagging);
    }
}
