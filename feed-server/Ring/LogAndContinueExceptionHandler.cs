using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PriceFeed.Server.Ring;

/// <summary>
/// The default exception handler: logs the failure, counts it, and lets the processor go on
/// with the next event.
/// </summary>
/// <remarks>
/// <para>Why continue: the ring feeds every client. A quote that a handler cannot process
/// (a bug on one odd value) must cost that quote, not the whole feed; stopping the processor
/// would also stop the producer once the ring fills. The failed event's sequence is still
/// marked processed, so the slot is released.</para>
/// <para>Logging is limited to one line per <see cref="LogInterval"/>, carrying the count
/// since the last line, so a handler that fails on every event cannot flood the log at the
/// ring's rate. <see cref="EventFailures"/> counts them all, for the metrics.</para>
/// <para>Called on the processor's thread; <see cref="EventFailures"/> may be read from any thread.</para>
/// </remarks>
/// <typeparam name="T">The slot type.</typeparam>
internal sealed class LogAndContinueExceptionHandler<T> : IExceptionHandler<T>
    where T : struct
{
    /// <summary>The shortest time between two log lines about failed events.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger;
    private long _eventFailures;
    private long _failuresAtLastLog;
    private long _nextLogTicks;

    /// <summary>Creates a handler that logs to <paramref name="logger"/> (nowhere if null).</summary>
    public LogAndContinueExceptionHandler(ILogger? logger = null) => _logger = logger ?? NullLogger.Instance;

    /// <summary>Events whose handler threw, since creation.</summary>
    public long EventFailures => Volatile.Read(ref _eventFailures);

    /// <inheritdoc/>
    public void HandleEventException(Exception exception, long sequence, ref T data)
    {
        long failures = Interlocked.Increment(ref _eventFailures);
        long now = Environment.TickCount64;
        if (now < _nextLogTicks)
        {
            return;
        }

        _logger.LogError(
            exception,
            "Ring event handler failed on sequence {Sequence}; the event is skipped ({Failures} failed since the last report, {Total} in all).",
            sequence,
            failures - _failuresAtLastLog,
            failures);
        _failuresAtLastLog = failures;
        _nextLogTicks = now + (long)LogInterval.TotalMilliseconds;
    }

    /// <inheritdoc/>
    public void HandleOnStartException(Exception exception) =>
        _logger.LogError(exception, "Ring event handler failed to start; processing goes on.");

    /// <inheritdoc/>
    public void HandleOnShutdownException(Exception exception) =>
        _logger.LogError(exception, "Ring event handler failed to shut down.");

    public void HandleOnTickException(Exception exception) =>
        _logger.LogError(exception, "Ring event handler failed on a tick.");
}
