using PriceFeed.Server.Quotes;

namespace PriceFeed.Server.Hosting;

/// <summary>
/// Ticks the fan-out just after every whole second (plus the bars' close delay), so it closes the bars that ended
/// (docs/protocol.md, "Bars") also while no quote comes: one wake-up of the fan-out a second.
/// </summary>
/// <remarks>The fan-out owns the bars, so the clock only asks (its processor's <c>Tick</c>); the fan-out closes them on its
/// own thread between batches. A one-shot timer set again at each tick, aimed at the next boundary, so it does not drift.</remarks>
internal sealed class BarClock : IDisposable
{
    private const long SecondNs = 1_000_000_000;

    private readonly long _delayNs;
    private readonly Action _tick;
    private readonly Timer _timer;
    private volatile bool _disposed;

    public BarClock(long delayNs, Action tick)
    {
        _delayNs = delayNs;
        _tick = tick;
        _timer = new Timer(static state => ((BarClock)state!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
        Arm();
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
    }

    private void OnTimer()
    {
        if (_disposed)
        {
            return;
        }

        _tick();
        Arm();
    }

    private void Arm()
    {
        var now = UnixClock.NowNs();
        var next = (now - _delayNs) - ((now - _delayNs) % SecondNs) + SecondNs + _delayNs;
        // A millisecond late rather than early: a tick before the boundary closes nothing and waits a whole second.
        var dueMs = ((next - now) / 1_000_000) + 1;
        try
        {
            _timer.Change(dueMs, Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // Stopped meanwhile.
        }
    }
}
