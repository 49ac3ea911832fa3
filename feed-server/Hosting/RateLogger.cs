using Microsoft.Extensions.Logging;
using PriceFeed.Server.Session;

namespace PriceFeed.Server.Hosting;

/// <summary>Logs the server's throughput at a fixed interval: quotes in, quotes processed, ring lag.</summary>
internal sealed class RateLogger : IDisposable
{
    private readonly IServerStatus _server;
    private readonly ILogger _logger;
    private readonly Timer _timer;
    private long _lastPublished;
    private long _lastProcessed;
    private long _lastTicks = Environment.TickCount64;

    public RateLogger(IServerStatus server, ILogger logger, TimeSpan interval)
    {
        _server = server;
        _logger = logger;
        _timer = new Timer(_ => Log(), null, interval, interval);
    }

    public void Dispose() => _timer.Dispose();

    private void Log()
    {
        var now = Environment.TickCount64;
        var seconds = Math.Max(1, now - _lastTicks) / 1000.0;
        var published = _server.Source.Published;
        var processed = _server.QuotesProcessed;
        _logger.LogInformation(
            "quotes in {InRate:N0}/s, processed {OutRate:N0}/s, total {Total:N0}, ring lag {Lag}",
            (published - _lastPublished) / seconds,
            (processed - _lastProcessed) / seconds,
            processed,
            _server.RingLag);
        _lastPublished = published;
        _lastProcessed = processed;
        _lastTicks = now;
    }
}
