using Microsoft.Extensions.Logging;
using PriceFeed.Server.Ring;

namespace PriceFeed.Tests.Ring;

public sealed class LogAndContinueExceptionHandlerTests
{
    [Fact]
    public void LogsTheFirstFailureAndCountsTheRestWithoutFloodingTheLog()
    {
        var logger = new CountingLogger();
        var handler = new LogAndContinueExceptionHandler<LongEvent>(logger);
        var data = default(LongEvent);

        for (long sequence = 0; sequence < 1_000; sequence++)
        {
            handler.HandleEventException(new InvalidOperationException("bad quote"), sequence, ref data);
        }

        // A thousand failures well within one LogInterval: one line, for the first.
        Assert.Equal(1, logger.Errors);
        Assert.Equal(1_000, handler.EventFailures);
    }

    [Fact]
    public void LogsStartAndShutdownFailures()
    {
        var logger = new CountingLogger();
        var handler = new LogAndContinueExceptionHandler<LongEvent>(logger);

        handler.HandleOnStartException(new InvalidOperationException("start"));
        handler.HandleOnShutdownException(new InvalidOperationException("shutdown"));

        Assert.Equal(2, logger.Errors);
    }

    private sealed class CountingLogger : ILogger
    {
        public int Errors { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error && exception is not null)
            {
                Errors++;
            }
        }
    }
}
